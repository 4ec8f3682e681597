import Foundation
import ProvisionCore

/// A target of an ELBv2 target group: an instance id (or IP, or Lambda ARN) and, for
/// groups whose targets listen on different ports, the port.
public struct ELBv2Target: Sendable, Hashable, CustomStringConvertible {
    public var id: String
    public var port: Int?

    public init(_ id: String, port: Int? = nil) {
        self.id = id
        self.port = port
    }

    public var description: String { port.map { "\(id):\($0)" } ?? id }
}

/// One entry of DescribeTargetHealth: `initial`, `healthy`, `unhealthy`, `unused`,
/// `draining` or `unavailable`, with AWS's reason (`Target.FailedHealthChecks`, …).
public struct ELBv2TargetHealth: Sendable, Equatable {
    public var target: ELBv2Target
    public var state: String
    public var reason: String?
    public var detail: String?
}

/// The part of the ELBv2 API a rolling update uses (Query API, version 2015-12-01).
public struct ELBv2Client: Sendable {
    public let query: AWSQueryClient

    public init(query: AWSQueryClient) { self.query = query }

    /// Credentials from the chain and the endpoint from the environment, as the AWS CLI finds them.
    public init(region: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        query = try AWSQueryClient(service: .elasticLoadBalancingV2, region: region,
                                   credentials: try AWSCredentials.resolve(environment: environment), environment: environment)
    }

    public func registerTargets(_ targets: [ELBv2Target], in targetGroupARN: String) throws {
        guard !targets.isEmpty else { return }
        _ = try query.call("RegisterTargets", [("TargetGroupArn", targetGroupARN)] + Self.parameters(targets))
    }

    /// The targets start draining; DescribeTargetHealth shows when they are gone.
    public func deregisterTargets(_ targets: [ELBv2Target], from targetGroupARN: String) throws {
        guard !targets.isEmpty else { return }
        _ = try query.call("DeregisterTargets", [("TargetGroupArn", targetGroupARN)] + Self.parameters(targets))
    }

    /// Every registered target's health, or only these targets' (unregistered ones then
    /// come back as `unused`, reason `Target.NotRegistered`).
    public func describeTargetHealth(of targetGroupARN: String, targets: [ELBv2Target] = []) throws -> [ELBv2TargetHealth] {
        let answer = try query.call("DescribeTargetHealth", [("TargetGroupArn", targetGroupARN)] + Self.parameters(targets))
        return answer.all("DescribeTargetHealthResult", "TargetHealthDescriptions", "member").map { member in
            ELBv2TargetHealth(target: ELBv2Target(member.value("Target", "Id") ?? "", port: member.value("Target", "Port").flatMap { Int($0) }),
                              state: member.value("TargetHealth", "State") ?? "",
                              reason: member.value("TargetHealth", "Reason").flatMap { $0.isEmpty ? nil : $0 },
                              detail: member.value("TargetHealth", "Description").flatMap { $0.isEmpty ? nil : $0 })
        }
    }

    /// `Targets.member.N.Id` and `.Port`.
    static func parameters(_ targets: [ELBv2Target]) -> [(String, String)] {
        targets.enumerated().flatMap { i, target in
            [("Targets.member.\(i + 1).Id", target.id)] + (target.port.map { [("Targets.member.\(i + 1).Port", String($0))] } ?? [])
        }
    }

    /// The region of `arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID`.
    public static func region(ofTargetGroupARN arn: String) throws -> String {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6, parts[0] == "arn", parts[2] == "elasticloadbalancing", !parts[3].isEmpty,
              parts[5].hasPrefix("targetgroup/") else {
            throw InputError("'\(arn)' is not a target group ARN", hint: "arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID")
        }
        return String(parts[3])
    }
}
