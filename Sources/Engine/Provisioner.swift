import Foundation
import Inventory
import Playbook
import ProvisionCore

/// The front door the command line uses: loads inventory and ssh_config once, resolves
/// targets, and runs `ping` or a playbook with a chosen way of connecting.
public final class Provisioner: @unchecked Sendable {
    public private(set) var inventory: Inventory
    /// The inventory as its files (or EC2) define it, before command-line hosts were added.
    public let inventoryFromFiles: Inventory
    public private(set) var resolver: HostResolver
    public var options: RunOptions

    /// `inventoryPath` nil means `./inventory.yml` when present, else ssh_config hosts only.
    public init(inventoryPath: String?, sshConfigPath: String?, targets: [String], options: RunOptions) throws {
        var inventory = Inventory()
        if let path = inventoryPath, path.hasPrefix(EC2InventorySource.scheme) {
            inventory = try EC2InventorySource(url: path).load()
        } else if let path = inventoryPath {
            guard FileManager.default.fileExists(atPath: path) else {
                throw InputError("inventory file \(path) not found", hint: "check -i")
            }
            inventory = try InventoryLoader.load(path: path)
        } else if FileManager.default.fileExists(atPath: "inventory.yml") {
            inventory = try InventoryLoader.load(path: "inventory.yml")
        }
        for source in inventory.ec2Sources { inventory.merge(try EC2InventorySource(url: source).load()) }
        let sshConfig = try HostResolver.loadSSHConfig(path: sshConfigPath)
        self.inventoryFromFiles = inventory
        self.inventory = CommandLineTargets.addingHosts(for: targets, to: inventory, sshConfig: sshConfig)
        self.resolver = HostResolver(inventory: self.inventory, sshConfig: sshConfig, sshConfigFile: sshConfigPath)
        self.resolver.defaults = options.connectionDefaults
        self.options = options
    }

    /// Pull mode: this machine alone, as `name` in the group `web` (the group the built-in
    /// playbooks target), reached through the local connection; no ssh_config, no inventory file.
    public init(localHost name: String, options: RunOptions) {
        var inventory = Inventory()
        inventory.add(InventoryHost(name: name, address: "127.0.0.1"), toGroup: CommandLineTargets.defaultGroup)
        self.inventoryFromFiles = Inventory()
        self.inventory = inventory
        self.resolver = HostResolver(inventory: inventory, sshConfig: SSHConfig(), sshConfigFile: nil)
        self.options = options
    }

    /// Adds the `group_vars/` and `host_vars/` beside the playbook (`Inventory.readVarsDirectories`),
    /// before anything reads the inventory's variables (addresses and users too).
    public func readVarsDirectories(besidePlaybook path: String) throws {
        try inventory.readVarsDirectories(besidePlaybookIn: PathText.directory(of: path))
        resolver.inventory = inventory
    }

    /// Host names the targets resolve to, in inventory order; unknown names fail.
    public func hosts(matching targets: [String]) throws -> [String] {
        let patterns = targets.isEmpty ? ["all"] : targets
        var seen = Set<String>()
        return try patterns.flatMap { try inventory.resolve($0) }.filter { seen.insert($0).inserted }
    }

    /// Each play of `playbook` with the hosts it would run on (`CommandLineTargets` rule 3).
    /// A play whose pattern names nothing this inventory has runs nowhere.
    public func plays(of playbook: Playbook, targets: [String]) -> [(name: String, hosts: [String])] {
        playbook.plays.map { play in
            let hosts = try? CommandLineTargets.plannedHosts(playPatterns: [play.hosts], targets: targets, in: inventory)
            return (play.name ?? play.hosts, hosts?.first ?? [])
        }
    }

    /// Connects to each host, authenticates and runs `true` with sudo.
    public func ping(targets: [String], reporter: RunReporter, connector: @escaping ConnectionPool.Connector) throws -> [(String, HostRecap)] {
        let started = Date()
        let hosts = try self.hosts(matching: targets)
        let pool = ConnectionPool(resolver: resolver, connector: connector)
        defer { pool.closeAll() }
        let recaps = RecapTable(hosts: hosts)
        PlaybookRunner.runInParallel(hosts.map { host in {
            let begin = Date()
            do {
                let connection = try pool.connection(for: host)
                let result = try connection.run("true", stdin: Data(), become: true, timeout: 30, onOutput: nil)
                if result.succeeded {
                    recaps.update(host) { $0.ok += 1 }
                    reporter.report(.task(TaskReport(host: host, play: "ping", task: "ping", status: .ok, changed: false,
                                                     duration: Date().timeIntervalSince(begin), message: "pong", diff: nil, ignoredError: false)))
                } else {
                    recaps.update(host) { $0.failed += 1 }
                    reporter.report(.task(TaskReport(host: host, play: "ping", task: "ping", status: .failed, changed: false,
                                                     duration: Date().timeIntervalSince(begin), message: "sudo true failed: \(result.stderrText)", diff: nil, ignoredError: false)))
                }
            } catch {
                recaps.update(host) { $0.unreachable += 1 }
                reporter.report(.hostUnreachable(host: host, message: "\(error)"))
            }
        } }, limit: options.forks ?? max(1, hosts.count))
        let recap = recaps.ordered
        reporter.report(.finished(recap: recap, duration: Date().timeIntervalSince(started), phases: pool.clock.all))
        return recap
    }

    /// Runs `playbook` on the targets. Input errors are thrown before any host is contacted.
    /// With `rollout`, the whole playbook runs batch after batch (see `RollingUpdate`).
    public func run(playbook: Playbook, targets: [String], reporter: RunReporter, redactor: Redactor,
                    connector: @escaping ConnectionPool.Connector, rollout: RollingUpdate? = nil) throws -> [(String, HostRecap)] {
        let pool = ConnectionPool(resolver: resolver, connector: connector)
        defer { pool.closeAll() }
        var options = self.options
        if rollout != nil { options.serial = nil }   // batches are the rollout's, around every play
        let runner = PlaybookRunner(playbook: playbook, inventory: inventory, options: options, pool: pool,
                                    reporter: reporter, redactor: redactor)
        let planned = try runner.plannedHosts(targets: targets)
        for host in inventory.hosts { redactor.register(variables: inventory.variables(for: host.name)) }
        guard let rollout else { return try runner.run(targets: targets) }

        let started = Date()
        var seen = Set<String>()
        let hosts = planned.flatMap { $0 }.filter { seen.insert($0).inserted }
        let recap = try rollout.run(hosts: hosts, reporter: reporter, target: rolloutTarget,
                                    runBatch: { try runner.runPlays(targets: $0) })
        runner.reportInterruption()
        reporter.report(.finished(recap: recap, duration: Date().timeIntervalSince(started), phases: pool.clock.all))
        return recap
    }

    /// A host's id in the target group: its instance id (EC2 inventory, or `ec2_instance_id`
    /// / `lb_target_id` set by hand), else its address (target type `ip`).
    func rolloutTarget(_ host: String) -> (id: String, address: String) {
        let vars = inventory.variables(for: host)
        let address = resolver.resolve(host).address
        let id = ["lb_target_id", "ec2_instance_id"].lazy.compactMap { vars[$0]?.stringValue }.first ?? address
        return (id, address)
    }
}

/// Per-host counters filled from many threads.
final class RecapTable: @unchecked Sendable {
    private let lock = NSLock()
    private var table: [String: HostRecap]
    private let hosts: [String]

    init(hosts: [String]) {
        self.hosts = hosts
        table = Dictionary(uniqueKeysWithValues: hosts.map { ($0, HostRecap()) })
    }

    func update(_ host: String, _ change: (inout HostRecap) -> Void) {
        lock.lock()
        change(&table[host, default: HostRecap()])
        lock.unlock()
    }

    var ordered: [(String, HostRecap)] {
        lock.lock()
        defer { lock.unlock() }
        return hosts.map { ($0, table[$0]!) }
    }
}
