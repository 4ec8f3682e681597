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

    /// Run-once tasks (the database step) run on the first host of the play.
    func isRunOnceOwner(_ host: String) -> Bool { hosts.first == host }

}
