import Foundation
import Inventory
import Playbook
import ProvisionCore

/// Runs a playbook's plays on the targeted hosts, hosts in parallel (one thread each,
/// at most `forks` at once), and returns the recap.
public final class PlaybookRunner: @unchecked Sendable {
    let playbook: Playbook
    let inventory: Inventory
    let options: RunOptions
    let pool: ConnectionPool
    let reporter: RunReporter
    let redactor: Redactor

    public init(playbook: Playbook, inventory: Inventory, options: RunOptions, pool: ConnectionPool,
                reporter: RunReporter, redactor: Redactor) {
        self.playbook = playbook
        self.inventory = inventory
        self.options = options
        self.pool = pool
        self.reporter = reporter
        self.redactor = redactor
    }

    /// The hosts each play will run on, limited to `targets` (all when empty). Fails on
    /// unknown names before anything connects.
    public func plannedHosts(targets: [String]) throws -> [[String]] {
        try CommandLineTargets.plannedHosts(playPatterns: playbook.plays.map(\.hosts), targets: targets, in: inventory)
    }

    public func run(targets: [String]) throws -> [(String, HostRecap)] {
        let started = Date()
        let recap = try runPlays(targets: targets)
        reportInterruption()
        reporter.report(.finished(recap: recap, duration: Date().timeIntervalSince(started), phases: pool.clock.all))
        return recap
    }

    func reportInterruption() {
        if let reason = Interruption.shared.reason {
            reporter.report(.warning(host: nil, message: "stopped by \(reason): the tasks running then were finished, no others were started"))
        }
    }

    /// Every play on the targets, without the final recap event (a rolling update calls
    /// this once per batch).
    public func runPlays(targets: [String]) throws -> [(String, HostRecap)] {
        let playHosts = try plannedHosts(targets: targets)
        let varsFiles = try playbook.plays.map { try $0.varsFileValues() }
        let defaults = try playbook.plays.map { try Self.loadDefaults($0) }
        redactor.register(variables: options.extraVariables)
        redactor.register(variables: options.secretVariables)
        for (index, play) in playbook.plays.enumerated() {
            redactor.register(variables: play.vars)
            redactor.register(variables: varsFiles[index])
            redactor.register(variables: defaults[index])
        }

        let services = RunServices(options: options, pool: pool, reporter: reporter, redactor: redactor,
                                   groups: MagicVariables.groups(of: inventory), hostvars: MagicVariables.hostvars(of: inventory))
        var recaps: [String: HostRecap] = [:]
        var order: [String] = []
        var retired = Set<String>()  // failed or unreachable: no later play runs there
        for (index, play) in playbook.plays.enumerated() where !Interruption.shared.requested {
            let hosts = playHosts[index].filter { !retired.contains($0) }
            for h in hosts where recaps[h] == nil { recaps[h] = HostRecap(); order.append(h) }
            reporter.report(.playStarted(name: play.name ?? play.hosts, hosts: hosts))
            guard !hosts.isEmpty else { continue }
            var playVars = play.vars
            playVars.merge(varsFiles[index]) { $1 }
            // `--serial` (this run's) over the play's `serial:`.
            let sizes = options.serial.map { [$0] } ?? play.serial ?? []
            for batch in BatchSize.batches(sizes, of: hosts) where !Interruption.shared.requested {
                let state = PlayState(hosts: batch, play: play, index: index, defaults: defaults[index], variables: playVars)
                let runners = batch.map { host in
                    let runner = HostPlayRunner(host: host, inventoryVariables: inventory.variables(for: host), shared: state, services: services)
                    runner.inventoryDataNames = inventory.dataNames(for: host)
                    return runner
                }
                Self.runInParallel(runners.map { r in { r.run() } }, limit: options.forks ?? runners.count)
                for r in runners {
                    recaps[r.host]!.ok += r.recap.ok
                    recaps[r.host]!.changed += r.recap.changed
                    recaps[r.host]!.failed += r.recap.failed
                    recaps[r.host]!.skipped += r.recap.skipped
                    recaps[r.host]!.unreachable += r.recap.unreachable
                    recaps[r.host]!.rescued += r.recap.rescued
                    if r.stopped { retired.insert(r.host) }
                }
                let failedHosts = runners.filter(\.stopped).map(\.host)
                if play.anyErrorsFatal, !failedHosts.isEmpty {
                    retired.formUnion(hosts)
                    reporter.report(.warning(host: nil, message: "play '\(play.name ?? play.hosts)' failed on \(failedHosts.joined(separator: ", ")) and has any_errors_fatal: no further task runs on \(hosts.joined(separator: ", "))"))
                    break
                }
            }
        }
        return order.map { ($0, recaps[$0]!) }
    }

    /// `group_vars/all.yml` beside the playbook: defaults for every variable the play reads.
    /// Unlike Ansible (where it outranks the inventory's `all: vars`), it sits below every
    /// inventory variable, so a playbook's defaults never override what a user set.
    public static func loadDefaults(_ play: Play) throws -> [String: Value] {
        let path = play.baseDirectory + "/group_vars/all.yml"
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        return try YAMLDocument.loadVariables(path: path, notAMapping: "group_vars/all.yml must be a mapping of variables")
    }

    /// Runs each job on its own thread, at most `limit` at a time; returns when all are done.
    /// Plain threads, not Swift concurrency: the jobs block in C libraries.
    static func runInParallel(_ jobs: [@Sendable () -> Void], limit: Int) {
        let slots = DispatchSemaphore(value: max(1, limit))
        let group = DispatchGroup()
        for job in jobs {
            slots.wait()
            group.enter()
            let thread = Thread {
                job()
                slots.signal()
                group.leave()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
        group.wait()
    }
}
