import Foundation

/// An ALB target group through the ELBv2 API (RegisterTargets, DeregisterTargets,
/// DescribeTargetHealth). Each change is waited for: deregistered targets until they have
/// drained (`unused` or gone), registered ones until healthy (or `unavailable`, what a group
/// whose health checks are off reports), within `timeout`.
public final class ELBv2TargetGroup: TargetGroup, @unchecked Sendable {
    public let arn: String
    let client: AWSQueryClient
    let timeout: TimeInterval
    let pollInterval: TimeInterval

    /// The region is the ARN's: `arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID`.
    public init(arn: String, timeout: TimeInterval = 600, pollInterval: TimeInterval = 2,
                environment env: [String: String] = ProcessInfo.processInfo.environment) throws {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6, parts[0] == "arn", parts[2] == "elasticloadbalancing", parts[5].hasPrefix("targetgroup/") else {
            throw InputError("--lb-target-group: '\(arn)' is not a target group ARN",
                             hint: "arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID")
        }
        self.arn = arn
        self.timeout = timeout
        self.pollInterval = pollInterval
        client = try AWSQueryClient(service: "elasticloadbalancing", endpointPrefix: "elasticloadbalancing", version: "2015-12-01",
                                    region: String(parts[3]), endpointVariable: "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
                                    credentials: try AWSCredentials.resolve(environment: env), environment: env)
    }

    public var label: String { arn.split(separator: "/").dropFirst().first.map { "target group \($0)" } ?? arn }

    /// Target id -> health state.
    public func health() throws -> [String: String] {
        let answer = try client.call("DescribeTargetHealth", [("TargetGroupArn", arn)])
        let members = answer.all("DescribeTargetHealthResult", "TargetHealthDescriptions", "member")
        return Dictionary(members.map { ($0.value("Target", "Id") ?? "", $0.value("TargetHealth", "State") ?? "") },
                          uniquingKeysWith: { $1 })
    }

    public func inService() throws -> [String] {
        try health().filter { !["draining", "unused"].contains($0.value) }.keys.sorted()
    }

    public func deregister(_ targets: [String]) throws {
        _ = try client.call("DeregisterTargets", Self.targetParameters(targets) + [("TargetGroupArn", arn)])
        try wait(for: targets, "to drain") { state in state == nil || state == "unused" }
    }

    public func register(_ targets: [String]) throws {
        _ = try client.call("RegisterTargets", Self.targetParameters(targets) + [("TargetGroupArn", arn)])
        try wait(for: targets, "to become healthy") { state in state == "healthy" || state == "unavailable" }
    }

    static func targetParameters(_ targets: [String]) -> [(String, String)] {
        targets.enumerated().map { ("Targets.member.\($0.offset + 1).Id", $0.element) }
    }

    func wait(for targets: [String], _ what: String, until done: (String?) -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let states = try health()
            let pending = targets.filter { !done(states[$0]) }
            if pending.isEmpty { return }
            guard Date() < deadline else {
                throw CloudError("\(label): \(pending.joined(separator: ", ")) did not finish waiting \(what) within \(Int(timeout)) s (state: \(pending.map { states[$0] ?? "none" }.joined(separator: ", ")))")
            }
            Thread.sleep(forTimeInterval: pollInterval)
        }
    }
}
