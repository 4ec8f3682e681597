import Foundation
import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

/// The rollout's order of events, with the real engine on this machine (LocalConnection)
/// and a target group kept in memory; the lab test runs it against moto's ELBv2.
final class RollingUpdateTests: XCTestCase {
    /// Records the group's membership over time.
    final class MemoryTargetGroup: TargetGroup, @unchecked Sendable {
        let lock = NSLock()
        var members: Set<String>
        var lowest: Int
        var log: [String] = []
        init(_ members: [String]) { self.members = Set(members); lowest = members.count }
        var label: String { "tg-test" }
        func deregister(_ targets: [String]) {
            lock.lock(); members.subtract(targets); lowest = min(lowest, members.count); log.append("out \(targets.joined(separator: ","))"); lock.unlock()
        }
        func register(_ targets: [String]) { lock.lock(); members.formUnion(targets); log.append("in \(targets.joined(separator: ","))"); lock.unlock() }
        func inService() -> [String] { lock.lock(); defer { lock.unlock() }; return members.sorted() }
    }

    let hosts = ["a", "b", "c", "d"]
    var local: LocalPlaybook!
    override func setUpWithError() throws { local = try LocalPlaybook() }
    override func tearDownWithError() throws { local.remove() }

    func rollout(_ update: RollingUpdate, playbook: String) throws -> (CollectingReporter, [(String, HostRecap)]) {
        try local.run(playbook, hosts: hosts, rollout: update)
    }

    var playbook: String {
        """
        - hosts: machines
          tasks:
            - name: work
              shell: echo {{ inventory_hostname }} >> \(local.directory)/order
        - hosts: machines
          tasks:
            - name: second play
              shell: echo {{ inventory_hostname }}-2 >> \(local.directory)/order
        """
    }

    func testOneHostAtATimeEveryPlayThenBackInService() throws {
        let group = MemoryTargetGroup(hosts.map { "id-\($0)" })
        let update = RollingUpdate(serial: .count(1), targetGroup: group, healthCheck: { _ in nil })
        let (reporter, recap) = try rollout(update, playbook: playbook)
        XCTAssertEqual(recap.map(\.0), hosts)
        XCTAssertEqual(ExitCode.forRecap(recap), 0)
        // The whole playbook on one host before the next host leaves the group.
        XCTAssertEqual(try String(contentsOfFile: local.directory + "/order", encoding: .utf8),
                       "a\na-2\nb\nb-2\nc\nc-2\nd\nd-2\n")
        XCTAssertEqual(group.log, ["out id-a", "in id-a", "out id-b", "in id-b", "out id-c", "in id-c", "out id-d", "in id-d"])
        XCTAssertEqual(group.lowest, 3, "never fewer than 3 of 4 in service")
        XCTAssertEqual(reporter.rolloutMessages.first, "batch 1/4: a out of tg-test (3 in service)")
    }

    func testAFailedHealthCheckStopsTheRolloutAndKeepsTheRestInService() throws {
        let group = MemoryTargetGroup(hosts.map { "id-\($0)" })
        let update = RollingUpdate(serial: .count(1), targetGroup: group,
                                   healthCheck: { address in address == "b.test" ? "GET http://b.test/ answered HTTP 500" : nil })
        let (reporter, recap) = try rollout(update, playbook: playbook)
        XCTAssertEqual(recap.map(\.0), ["a", "b"], "c and d were not touched")
        XCTAssertEqual(ExitCode.forRecap(recap), ExitCode.taskFailed)
        XCTAssertEqual(group.inService(), ["id-a", "id-c", "id-d"], "b stays out; c and d never left")
        XCTAssertEqual(reporter.tasks.last?.task, "health check")
        XCTAssertEqual(reporter.tasks.last?.message, "GET http://b.test/ answered HTTP 500")
        XCTAssertEqual(reporter.rolloutMessages.last,
                       "stopped: b failed (1 of 2 hosts, more than --max-fail-percentage 0); c, d not touched and still in service")
    }

    func testMaxFailPercentageLetsTheRolloutGoOn() throws {
        let update = RollingUpdate(serial: .count(2), maxFailPercentage: 50,
                                   healthCheck: { address in address == "a.test" ? "down" : nil })
        let (_, recap) = try rollout(update, playbook: playbook)
        XCTAssertEqual(recap.map(\.0), hosts, "1 of 2, then 1 of 4 failed: not more than 50%")
        XCTAssertEqual(recap.first?.1.failed, 1)
    }
}

extension CollectingReporter {
    var rolloutMessages: [String] {
        events.compactMap { if case .rollout(let m) = $0 { return m } else { return nil } }
    }
}

/// Which id a host has in the target group: `lb_target_id`, else `ec2_instance_id`, else its address.
final class RolloutTargetTests: XCTestCase {
    func testTargetIdComesFromLbTargetIdThenInstanceIdThenAddress() throws {
        let dir = NSTemporaryDirectory() + "rollout-target-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            all:
              hosts:
                a: {ansible_host: 192.0.2.1, lb_target_id: i-0manual, ec2_instance_id: i-0ec2}
                b: {ansible_host: 192.0.2.2, ec2_instance_id: i-0ec2b}
                c: {ansible_host: 192.0.2.3}
            """.write(toFile: dir + "/inventory.yml", atomically: true, encoding: .utf8)
        let provisioner = try Provisioner(inventoryPath: dir + "/inventory.yml", sshConfigPath: "/dev/null", targets: [], options: RunOptions())
        let table: [(host: String, id: String, address: String)] = [
            ("a", "i-0manual", "192.0.2.1"), ("b", "i-0ec2b", "192.0.2.2"), ("c", "192.0.2.3", "192.0.2.3"),
        ]
        for row in table {
            let target = provisioner.rolloutTarget(row.host)
            XCTAssertEqual(target.id, row.id, row.host)
            XCTAssertEqual(target.address, row.address, row.host)
        }
    }

    /// What the command line asks for: no rollout without a load balancer, failure budget or
    /// health check; a target group implies the health check of `/`; bad numbers are input errors.
    func testTheRequestedRolloutFromTheCommandLineOptions() throws {
        func requested(arn: String? = nil, maxFail: Int? = nil, path: String? = nil, port: Int = 80, timeout: Int = 60) throws -> RollingUpdate? {
            try RollingUpdate.requested(serial: nil, targetGroupARN: arn, maxFailPercentage: maxFail,
                                        healthCheckPath: path, healthCheckPort: port, healthCheckTimeout: timeout)
        }
        XCTAssertNil(try requested())
        let budget = try XCTUnwrap(try requested(maxFail: 30))
        XCTAssertEqual(budget.maxFailPercentage, 30)
        XCTAssertNil(budget.healthCheck)
        XCTAssertEqual(budget.serial.batches(of: ["a", "b"]), [["a"], ["b"]], "one host at a time by default")
        XCTAssertNotNil(try requested(path: "/health")?.healthCheck)
        XCTAssertThrowsError(try requested(maxFail: 101))
        XCTAssertThrowsError(try requested(path: "/", port: 70000))
        XCTAssertThrowsError(try requested(arn: "not-an-arn"))
    }
}
