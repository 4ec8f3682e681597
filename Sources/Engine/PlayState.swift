import Foundation
import Modules
import Playbook
import ProvisionCore

/// What the hosts of one play (one batch of them) share: the play and its place in the
/// playbook, its variable layers, the hosts, module lookups, run-once ownership.
final class PlayState: @unchecked Sendable {
    let play: Play
    let index: Int
    /// `group_vars/all.yml` beside the playbook: below every inventory variable.
    let defaults: [String: Value]
    /// Play vars, then vars_files: above facts.
    let variables: [String: Value]
    let hosts: [String]
    let specs: [String: ModuleSpec]
    /// `run_once:` tasks: who ran each, and its result for the other hosts.
    let runOnce = RunOnceResults()

    init(hosts: [String], play: Play, index: Int, defaults: [String: Value], variables: [String: Value]) {
        self.play = play
        self.index = index
        self.defaults = defaults
        self.variables = variables
        self.hosts = hosts
        var specs: [String: ModuleSpec] = [:]
        for task in play.tasks + play.handlers {
            if let spec = ModuleRegistry.spec(named: task.module) { specs[task.module] = spec }
        }
        self.specs = specs
    }

    func spec(for task: PlaybookTask) -> ModuleSpec? { specs[task.module] }

    private let variablesSetLock = NSLock()
    private var variablesSetByTask: [SourceLocation: [String]] = [:]

    /// The host variables `task` sets, known before it runs (include_vars reads its files to
    /// tell): the same for every host, so asked once per task, not once per task and host.
    func variablesSet(by task: PlaybookTask) -> [String] {
        variablesSetLock.lock()
        if let known = variablesSetByTask[task.location] { variablesSetLock.unlock(); return known }
        variablesSetLock.unlock()
        let names = spec(for: task)?.variablesSet(by: task) ?? []
        variablesSetLock.lock()
        variablesSetByTask[task.location] = names
        variablesSetLock.unlock()
        return names
    }

    /// Run-once tasks (the database step) run on the first host of the play.
    func isRunOnceOwner(_ host: String) -> Bool { hosts.first == host }

}
