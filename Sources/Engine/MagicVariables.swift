import Foundation
import Inventory
import Modules
import Playbook
import ProvisionCore

/// Ansible's magic variables that provision defines on every host, besides facts. The one
/// list: `PlaybookValidator` counts exactly these as defined, and `HostPlayRunner` sets them
/// (above every other layer: like Ansible's, they are not variables a user sets).
enum MagicVariables {
    /// Set by the inventory (`Inventory.variables(for:)`).
    static let fromInventory: Set<String> = ["inventory_hostname", "group_names"]
    /// Understood by the template engine itself.
    static let fromTemplates: Set<String> = ["omit"]
    /// Set per host and play here.
    static let fromEngine: Set<String> = [
        "inventory_hostname_short", "groups", "play_hosts", "ansible_play_hosts", "ansible_play_batch",
        "ansible_check_mode", "ansible_diff_mode", "playbook_dir", "ansible_facts", "hostvars", "ansible_managed",
    ]
    /// What templates put at their top (`# {{ ansible_managed }}`), as Ansible's default says it.
    static let managedNotice = "Managed by provision: local changes are overwritten by the next run"
    /// Set by `HostPlayRunner` when a block's `rescue:` starts (registered results).
    static let fromRescue: Set<String> = ["ansible_failed_task", "ansible_failed_result"]
    static let names = fromInventory.union(fromTemplates).union(fromEngine).union(fromRescue)

    /// `groups`: every group of the inventory with its hosts, in inventory order.
    static func groups(of inventory: Inventory) -> Value {
        .dict(Dictionary(uniqueKeysWithValues: inventory.groups.keys.map { group in
            (group, Value.list(inventory.hosts(inGroup: group).map { .string($0) }))
        }))
    }

    /// `hostvars`: every inventory host's variables as the inventory gives them (all, its
    /// groups', its own, `inventory_hostname`, `group_names`), built once per run. Other
    /// hosts' facts and registered results are not in it (Ansible's are, once gathered).
    static func hostvars(of inventory: Inventory) -> Value {
        .dict(Dictionary(uniqueKeysWithValues: inventory.hosts.map { ($0.name, Value.dict(inventory.variables(for: $0.name))) }))
    }

    static func values(host: String, facts: [String: Value], playHosts: [String], baseDirectory: String,
                       groups: Value, hostvars: Value, options: RunOptions) -> [String: Value] {
        let hosts = Value.list(playHosts.map { .string($0) })
        var ansibleFacts: [String: Value] = [:]
        for (name, value) in facts where name.hasPrefix("ansible_") { ansibleFacts[String(name.dropFirst(8))] = value }
        return [
            "inventory_hostname_short": .string(String(host.prefix { $0 != "." })),
            "groups": groups,
            "hostvars": hostvars,
            "ansible_managed": .string(managedNotice),
            "play_hosts": hosts, "ansible_play_hosts": hosts, "ansible_play_batch": hosts,
            "ansible_check_mode": .bool(options.checkMode), "ansible_diff_mode": .bool(options.diffMode),
            "playbook_dir": .string(baseDirectory),
            "ansible_facts": .dict(ansibleFacts),
        ]
    }
}
