import Cloud
import Foundation
import ProvisionCore

/// An ALB target group as the rolling update uses it (the engine's `TargetGroup`), on
/// `ELBv2Client`. Each change is waited for: deregistered targets until they have drained
/// (gone, or `unused`), registered ones until `healthy` (or `unavailable`, what a group whose
/// health checks are off reports), within `timeout`.
public final class ELBv2TargetGroup: TargetGroup, @unchecked Sendable {
    public let arn: String
    public let client: ELBv2Client
    let timeout: TimeInterval
    let pollInterval: TimeInterval

    /// The region is the ARN's: `arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID`.
    public convenience init(arn: String, timeout: TimeInterval = 600, pollInterval: TimeInterval = 2,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let region: String
        do { region = try ELBv2Client.region(ofTargetGroupARN: arn) } catch var error as InputError {
            error.message = "--lb-target-group: " + error.message
            throw error
        }
        self.init(arn: arn, client: try ELBv2Client(region: region, environment: environment), timeout: timeout, pollInterval: pollInterval)
    }

    public init(arn: String, client: ELBv2Client, timeout: TimeInterval = 600, pollInterval: TimeInterval = 2) {
        self.arn = arn
        self.client = client
        self.timeout = timeout
        self.pollInterval = pollInterval
    }

    /// `target group NAME`.
    public var label: String { arn.split(separator: "/").dropFirst().first.map { "target group \($0)" } ?? arn }

    /// Target id -> health state, for every registered target.
    public func health() throws -> [String: String] {
        Dictionary(try client.describeTargetHealth(of: arn).map { ($0.target.id, $0.state) }, uniquingKeysWith: { $1 })
    }

    public func inService() throws -> [String] {
        try health().filter { !["draining", "unused"].contains($0.value) }.keys.sorted()
    }

    public func deregister(_ targets: [String]) throws {
        try client.deregisterTargets(targets.map { ELBv2Target($0) }, from: arn)
        try wait(for: targets, "to drain") { state in state == nil || state?.state == "unused" }
    }

    public func register(_ targets: [String]) throws {
        try client.registerTargets(targets.map { ELBv2Target($0) }, in: arn)
        try wait(for: targets, "to become healthy") { state in state?.state == "healthy" || state?.state == "unavailable" }
    }

    func wait(for targets: [String], _ what: String, until done: (ELBv2TargetHealth?) -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let states = Dictionary(try client.describeTargetHealth(of: arn).map { ($0.target.id, $0) }, uniquingKeysWith: { $1 })
            let pending = targets.filter { !done(states[$0]) }
            if pending.isEmpty { return }
            guard Date() < deadline else {
                let why = pending.map { id in
                    states[id].map { "\(id) \($0.state)" + ($0.reason.map { " (\($0))" } ?? "") } ?? "\(id) not registered"
                }
                throw CloudError("\(label): waited \(Int(timeout)) s for \(pending.joined(separator: ", ")) \(what): \(why.joined(separator: ", "))")
            }
            Thread.sleep(forTimeInterval: pollInterval)
        }
    }
}
