import Foundation
import ProvisionCore

/// How the targets typed on the command line, the inventory and a play's `hosts:` combine.
/// This is the one place the rule is written (README "Which hosts a run touches"):
///
/// 1. A target is a host or group of the inventory, or a pattern over them (`web:&az_1a`,
///    `web:!web-2`, `all`).
/// 2. A target the inventory does not define is a host of its own when `ssh` could reach it
///    by that name: a `Host` line of ssh_config names it exactly, or it is an IP address or a
///    DNS name with a dot. Such a host joins the group `web` (`defaultGroup`), the group the
///    built-in playbooks target, in the order typed, so the first of them is the first host
///    of each play (the default `db_via`). Any other unknown name is an error, with a hint.
/// 3. Each play runs on the hosts its `hosts:` pattern selects, limited to the targets (to
///    every host when no target is given).
public enum CommandLineTargets {
    /// The group hosts known only from the command line join.
    public static let defaultGroup = "web"

    /// `inventory` plus a host for every target name rule 2 accepts.
    public static func addingHosts(for targets: [String], to inventory: Inventory, sshConfig: SSHConfig) -> Inventory {
        var inventory = inventory
        for name in targets.flatMap(names(in:))
        where inventory.host(named: name) == nil && inventory.groups[name] == nil && reachableByName(name, sshConfig: sshConfig) {
            inventory.add(InventoryHost(name: name), toGroup: defaultGroup)
        }
        return inventory
    }

    /// Rule 3: the hosts each play runs on, in inventory order. Unknown names fail before
    /// anything connects.
    public static func plannedHosts(playPatterns: [String], targets: [String], in inventory: Inventory) throws -> [[String]] {
        let limit: Set<String>? = targets.isEmpty ? nil : Set(try targets.flatMap { try inventory.resolve($0) })
        return try playPatterns.map { pattern in
            try inventory.resolve(pattern).filter { limit?.contains($0) ?? true }
        }
    }

    /// ansible-playbook's shape, `provision -i hosts.ini site.yml -l web`: a target ending
    /// in `.yml` or `.yaml` is the playbook (no host name ends so); the rest are hosts. One
    /// playbook, given once (as a target or by `-p`).
    public static func playbookAndHosts(_ targets: [String], playbookOption: String?) throws -> (playbook: String?, hosts: [String]) {
        let isPlaybook = { (t: String) in t.hasSuffix(".yml") || t.hasSuffix(".yaml") }
        let books = targets.filter(isPlaybook)
        let hosts = targets.filter { !isPlaybook($0) }
        if books.count > 1 {
            throw InputError("one playbook at a time: \(books.joined(separator: ", "))", hint: "run them one after the other, or import_playbook them from one file")
        }
        if let book = books.first, let playbookOption {
            throw InputError("two playbooks: -p \(playbookOption) and \(book)", hint: "give the playbook once")
        }
        return (books.first ?? playbookOption, hosts)
    }

    /// Where each host of the targets came from, for `provision hosts`.
    /// The targets narrowed by `--limit PATTERN` (Ansible's `:&` intersection); the limit
    /// alone when no target is given.
    public static func limited(_ targets: [String], to limit: String?) -> [String] {
        guard let limit else { return targets }
        return targets.isEmpty ? [limit] : targets.map { "\($0):&\(limit)" }
    }

    public static func origin(of host: String, in original: Inventory) -> String {
        original.host(named: host) != nil ? "inventory" : "command line"
    }

    /// The plain names in a pattern (`web-1a,web-1c`, `web:&az_1a`, `!web-2`).
    static func names(in pattern: String) -> [String] {
        pattern.split(whereSeparator: { $0 == ":" || $0 == "," })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .map { $0.hasPrefix("!") || $0.hasPrefix("&") ? String($0.dropFirst()) : $0 }
            .filter { !$0.isEmpty && !$0.contains("*") && !$0.contains("?") && $0 != "all" }
    }

    /// Whether `ssh NAME` would have an address to go to without guessing.
    static func reachableByName(_ name: String, sshConfig: SSHConfig) -> Bool {
        sshConfig.namesHost(name) || isIPAddress(name) || isDNSName(name)
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// `web-1a.example.com`: labels of letters, digits and inner dashes, at least one dot.
    static func isDNSName(_ text: String) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, text.count <= 253 else { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
