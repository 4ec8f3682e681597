import Foundation

/// Reads an Ansible-style YAML inventory:
///
/// ```yaml
/// all:
///   vars: {ansible_user: ec2-user}
///   children:
///     web:
///       hosts:
///         web-1a: {ansible_host: 10.0.10.10, site_marker: "Sample 1a"}
/// ```
/// Host connection keys: `ansible_host`/`address`, `ansible_port`/`port`,
/// `ansible_user`/`user`, `ansible_ssh_private_key_file`/`key`.
public enum InventoryLoader {
    static let addressKeys = ["ansible_host", "address"]
    static let portKeys = ["ansible_port", "port"]
    static let userKeys = ["ansible_user", "user"]
    static let keyKeys = ["ansible_ssh_private_key_file", "key"]
    static let groupKeys: Set<String> = ["hosts", "children", "vars"]

    public static func load(path: String) throws -> Inventory {
        let root = try YAMLDocument.loadLocated(path: path)
        return try build(from: root, file: path)
    }

    public static func build(from root: LocatedValue, file: String) throws -> Inventory {
        var inventory = Inventory(file: file)
        guard case .dict(let top) = root.value else {
            throw InputError("inventory must be a mapping of groups (e.g. `all:`)", at: root.location)
        }
        for key in top.keys.sorted(by: { root.child($0)!.location.line < root.child($1)!.location.line }) {
            try readGroup(key, root.child(key)!, parent: nil, into: &inventory, file: file)
        }
        try inventory.checkForCycles()
        return inventory
    }

    static func readGroup(_ name: String, _ node: LocatedValue, parent: String?, into inventory: inout Inventory, file: String) throws {
        inventory.ensureGroup(name)
        if let parent, name != "all" { inventory.addChild(name, to: parent) }
        if node.value == .null { return }
        guard case .dict(let body) = node.value else {
            throw InputError("group '\(name)' must be a mapping with hosts, children or vars", at: node.location)
        }
        for key in body.keys where !groupKeys.contains(key) {
            let hint = Suggest.closest(to: key, among: Array(groupKeys)).map { "did you mean '\($0)'?" }
                ?? "a group has only hosts, children and vars"
            throw InputError("unknown key '\(key)' in group '\(name)'", at: node.child(key)?.location, hint: hint)
        }
        if let vars = node.child("vars"), vars.value != .null {
            guard case .dict(let v) = vars.value else { throw InputError("vars of group '\(name)' must be a mapping", at: vars.location) }
            inventory.setVariables(v, forGroup: name)
        }
        if let hosts = node.child("hosts"), hosts.value != .null {
            guard case .dict(let entries) = hosts.value else {
                throw InputError("hosts of group '\(name)' must be a mapping of host names", at: hosts.location,
                                 hint: "write `web-1: {ansible_host: 10.0.10.10}` or `web-1:`")
            }
            for hostName in entries.keys.sorted(by: { hosts.child($0)!.location.line < hosts.child($1)!.location.line }) {
                let hostNode = hosts.child(hostName)!
                try checkHostName(hostName, at: hostNode.location)
                var vars: [String: Value] = [:]
                if hostNode.value != .null {
                    guard case .dict(let v) = hostNode.value else {
                        throw InputError("host '\(hostName)' must map to its variables", at: hostNode.location)
                    }
                    vars = v
                }
                func string(_ keys: [String]) -> String? { keys.lazy.compactMap { vars[$0]?.stringValue }.first }
                var port: Int?
                if let p = string(portKeys) {
                    guard let value = Int(p), (1...65535).contains(value) else {
                        throw InputError("host '\(hostName)': port must be a number from 1 to 65535, not '\(p)'", at: hostNode.location)
                    }
                    port = value
                }
                let host = InventoryHost(name: hostName, address: string(addressKeys), port: port, user: string(userKeys),
                                         identityFile: string(keyKeys), variables: vars)
                inventory.add(host, toGroup: name)
            }
        }
        if let children = node.child("children"), children.value != .null {
            guard case .dict(let entries) = children.value else {
                throw InputError("children of group '\(name)' must be a mapping of group names", at: children.location)
            }
            for child in entries.keys.sorted(by: { children.child($0)!.location.line < children.child($1)!.location.line }) {
                try readGroup(child, children.child(child)!, parent: name, into: &inventory, file: file)
            }
        }
    }

    /// Host names become file names, log fields and ssh arguments: keep them plain.
    static func checkHostName(_ name: String, at location: SourceLocation) throws {
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        guard allowed, !name.isEmpty, !name.hasPrefix("-") else {
            throw InputError("host name '\(name)' may contain only letters, digits, '-', '_' and '.'", at: location,
                             hint: "put the real address in ansible_host")
        }
    }
}
