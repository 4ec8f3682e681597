import Foundation
import Playbook
import ProvisionCore

/// `--serial N --lb-target-group ARN`: the whole playbook runs on one batch of hosts at a
/// time while the rest keep serving. Each batch is taken out of the target group,
/// provisioned, health-checked and put back before the next starts. When more than
/// `maxFailPercentage` of the hosts handled so far failed, the rollout stops: the failed
/// hosts stay out of service, the hosts not reached yet stay in service, untouched.
public struct RollingUpdate: Sendable {
    public var serial: BatchSize
    public var maxFailPercentage: Int
    public var targetGroup: (any TargetGroup)?
    /// Address -> nil when healthy, else what is wrong (`HealthCheck.failure`).
    public var healthCheck: (@Sendable (String) -> String?)?

    public init(serial: BatchSize, maxFailPercentage: Int = 0, targetGroup: (any TargetGroup)? = nil,
                healthCheck: (@Sendable (String) -> String?)? = nil) {
        self.serial = serial
        self.maxFailPercentage = maxFailPercentage
        self.targetGroup = targetGroup
        self.healthCheck = healthCheck
    }

    /// The rolling update the command line asks for: one when a load balancer, a failure
    /// budget or a health check is given (nil otherwise), each value checked.
    public static func requested(serial: BatchSize?, targetGroupARN: String?, maxFailPercentage: Int?,
                                 healthCheckPath: String?, healthCheckPort: Int, healthCheckTimeout: Int) throws -> RollingUpdate? {
        guard targetGroupARN != nil || maxFailPercentage != nil || healthCheckPath != nil else { return nil }
        if let maxFailPercentage, !(0...100).contains(maxFailPercentage) {
            throw InputError("--max-fail-percentage must be from 0 to 100, not \(maxFailPercentage)")
        }
        let targetGroup = try targetGroupARN.map { try ELBv2TargetGroup(arn: $0) }
        let path = healthCheckPath ?? (targetGroupARN != nil ? "/" : nil)
        var probe: (@Sendable (String) -> String?)?
        if let path {
            _ = try NumberRules.check(healthCheckPort, "port", NumberRules.port, source: "--health-check-port")
            _ = try NumberRules.check(healthCheckTimeout, "timeout", NumberRules.seconds, source: "--health-check-timeout")
            let check = HealthCheck(path: path, port: healthCheckPort, timeout: TimeInterval(healthCheckTimeout))
            probe = { address in check.failure(address: address) }
        }
        return RollingUpdate(serial: serial ?? .count(1), maxFailPercentage: maxFailPercentage ?? 0,
                             targetGroup: targetGroup, healthCheck: probe)
    }

    /// `target` maps a host to its target id and its address; `runBatch` runs the playbook.
    public func run(hosts: [String], reporter: RunReporter, target: (String) -> (id: String, address: String),
                    runBatch: ([String]) throws -> [(String, HostRecap)]) throws -> [(String, HostRecap)] {
        let batches = serial.batches(of: hosts)
        var recap: [(String, HostRecap)] = []
        var handled = 0
        var failedHosts: [String] = []
        for (index, batch) in batches.enumerated() where !Interruption.shared.requested {
            let ids = batch.map { target($0).id }
            if let group = targetGroup {
                try group.deregister(ids)
                let left = try group.inService().count
                reporter.report(.rollout(message: "batch \(index + 1)/\(batches.count): \(batch.joined(separator: ", ")) out of \(group.label) (\(left) in service)"))
            }
            var batchRecap = try runBatch(batch)
            var healthy: [String] = []
            for i in batchRecap.indices {
                let (host, r) = batchRecap[i]
                guard r.failed == 0 && r.unreachable == 0 else { failedHosts.append(host); continue }
                let began = Date()
                if let check = healthCheck, let problem = check(target(host).address) {
                    batchRecap[i].1.failed += 1
                    failedHosts.append(host)
                    reporter.report(.task(TaskReport(host: host, play: "rollout", task: "health check", status: .failed, changed: false,
                                                     duration: Date().timeIntervalSince(began), message: problem, diff: nil, ignoredError: false)))
                } else {
                    healthy.append(host)
                }
            }
            if let group = targetGroup, !healthy.isEmpty {
                try group.register(healthy.map { target($0).id })
                let now = try group.inService().count
                reporter.report(.rollout(message: "batch \(index + 1)/\(batches.count): \(healthy.joined(separator: ", ")) back in \(group.label) (\(now) in service)"))
            }
            recap += batchRecap
            handled += batch.count
            let rest = batches[(index + 1)...].flatMap { $0 }
            if !failedHosts.isEmpty, failedHosts.count * 100 > maxFailPercentage * handled, !rest.isEmpty {
                let kept = targetGroup == nil ? "not touched" : "not touched and still in service"
                reporter.report(.rollout(message: "stopped: \(failedHosts.joined(separator: ", ")) failed (\(failedHosts.count) of \(handled) hosts, more than --max-fail-percentage \(maxFailPercentage)); \(rest.joined(separator: ", ")) \(kept)"))
                break
            }
        }
        return recap
    }
}
