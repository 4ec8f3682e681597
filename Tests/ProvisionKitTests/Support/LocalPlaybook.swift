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

/// Collects what the engine reports.
final class CollectingReporter: RunReporter, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var events: [RunEvent] = []
    func report(_ event: RunEvent) {
        lock.lock()
        events.append(event)
        lock.unlock()
    }
    var tasks: [TaskReport] {
        lock.lock()
        defer { lock.unlock() }
        return events.compactMap { if case .task(let r) = $0 { return r } else { return nil } }
    }
    func status(of task: String) -> TaskStatus? { tasks.first { $0.task == task }?.status }
    /// The phases the final recap reported.
    var phases: [String: HostPhases]? {
        lock.lock()
        defer { lock.unlock() }
        for case .finished(_, _, let phases) in events.reversed() { return phases }
        return nil
    }
}

/// Runs playbook text with the real engine on this machine through LocalConnection:
/// a real shell, real files, real package tools.
struct LocalPlaybook {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "playbook-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Runs playbooks in an existing directory (a fixture copied there).
    init(directory: String) { self.directory = directory }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// With `rollout`, host `h` is target `id-h` at address `h.test`.
    func run(_ yaml: String, options: RunOptions = RunOptions(), hosts: [String] = ["local"],
             hostVariables: [String: Value] = [:],
             rollout: RollingUpdate? = nil) throws -> (CollectingReporter, [(String, HostRecap)]) {
        let path = directory + "/play-\(UUID().uuidString.prefix(6)).yml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try run(path: path, options: options, hosts: hosts, hostVariables: hostVariables, rollout: rollout)
    }

    /// Runs the playbook file at `path` (e.g. a fixture copied into `directory`).
    func run(path: String, options: RunOptions = RunOptions(), hosts: [String] = ["local"],
             hostVariables: [String: Value] = [:],
             rollout: RollingUpdate? = nil) throws -> (CollectingReporter, [(String, HostRecap)]) {
        let playbook = try PlaybookLoader.load(path: path)
        var inventory = Inventory()
        for h in hosts { inventory.add(InventoryHost(name: h, variables: hostVariables), toGroup: "machines") }
        let resolver = HostResolver(inventory: inventory, sshConfig: SSHConfig(), sshConfigFile: nil)
        let pool = ConnectionPool(resolver: resolver) { host in LocalConnection(hostName: host.name) }
        let reporter = CollectingReporter()
        let runner = PlaybookRunner(playbook: playbook, inventory: inventory, options: options, pool: pool,
                                    reporter: reporter, redactor: Redactor())
        if let rollout {
            return (reporter, try rollout.run(hosts: hosts, reporter: reporter, target: { ("id-\($0)", "\($0).test") },
                                              runBatch: { try runner.runPlays(targets: $0) }))
        }
        return (reporter, try runner.run(targets: []))
    }

    static func check() -> RunOptions {
        var options = RunOptions()
        options.checkMode = true
        return options
    }
}
