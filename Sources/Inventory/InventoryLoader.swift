import Foundation
import ProvisionCore

/// Reads an Ansible-style YAML inventory (or an INI one, read into the same tree by `INIInventory`):
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

    /// Loads a YAML inventory, or an INI one (`INIInventory.isINI`).
    /// With the `group_vars/` and `host_vars/` beside it (`VarsDirectories`).
    public static func load(path: String) throws -> Inventory {
        var inventory: Inventory
        if let text = try? String(contentsOfFile: path, encoding: .utf8), INIInventory.isINI(path: path, text: text) {
            inventory = try build(from: try INIInventory.parse(text: text, file: path), file: path)
        } else {
            inventory = try build(from: try YAMLDocument.loadValue(path: path), file: path)
        }
        let directory = PathText.directory(of: path)
        inventory.varsDirectories = try VarsDirectories.load(beside: directory.isEmpty ? "." : directory)
        return inventory
    }

    public static func build(from root: LocatedValue, file: String) throws -> Inventory {
        var inventory = Inventory(file: file)
        if root.isNull { return inventory }
        guard let groups = root.entries else {
            throw InputError("inventory must be a mapping of groups (e.g. `all:`)", at: root.location)
        }
        for group in groups {
            if group.key == "ec2" {
                inventory.ec2Sources += try readEC2(group.value)
                continue
            }
            try readGroup(group.key, group.value, parent: nil, into: &inventory)
        }
        try inventory.checkForCycles()
        return inventory
    }

    static func readGroup(_ name: String, _ node: LocatedValue, parent: String?, at location: SourceLocation? = nil,
                          into inventory: inout Inventory) throws {
        inventory.ensureGroup(name)
        if let parent, name != "all" { inventory.addChild(name, to: parent, at: location) }
        if node.isNull { return }
        guard let body = node.entries else {
            throw InputError("group '\(name)' must be a mapping with hosts, children or vars", at: node.location)
        }
        for entry in body where !groupKeys.contains(entry.key) {
            throw InputError("unknown key '\(entry.key)' in group '\(name)'", at: entry.keyLocation,
                             hint: Suggestions.hint(for: entry.key, in: groupKeys) ?? "a group has only hosts, children and vars")
        }
        if let vars = node["vars"], !vars.isNull {
            guard case .dict(let v) = vars.value else { throw InputError("vars of group '\(name)' must be a mapping", at: vars.location) }
            for key in portKeys { if let p = v[key]?.stringValue { _ = try NumberRules.parse(p, key, NumberRules.port, source: "inventory group '\(name)'", at: vars.location) } }
            inventory.setVariables(v, forGroup: name)
        }
        if let hosts = node["hosts"], !hosts.isNull {
            guard let entries = hosts.entries else {
                throw InputError("hosts of group '\(name)' must be a mapping of host names", at: hosts.location,
                                 hint: "write `web-1: {ansible_host: 10.0.10.10}` or `web-1:`")
            }
            for entry in entries {
                try inventory.add(readHost(entry), toGroup: name)
            }
        }
        if let children = node["children"], !children.isNull {
            guard let entries = children.entries else {
                throw InputError("children of group '\(name)' must be a mapping of group names", at: children.location)
            }
            for child in entries {
                try readGroup(child.key, child.value, parent: name, at: child.keyLocation, into: &inventory)
            }
        }
    }

    /// `ec2: ec2://REGION?FILTERS`, a list of them, or a mapping
    /// `{region: R, filters: {tag:Name: web}, address: private, group: web, user: ec2-user}`.
    static func readEC2(_ node: LocatedValue) throws -> [String] {
        if let text = node.value.stringValue { return [text] }
        if case .list(let items) = node.value { return items.compactMap(\.stringValue) }
        guard case .dict(let d) = node.value, let region = d["region"]?.stringValue else {
            throw InputError("ec2: must be an ec2://REGION?FILTERS URL or a mapping with region and filters", at: node.location,
                             hint: "e.g. ec2: {region: ap-northeast-1, filters: {tag:Name: aws-and-infra-web}}")
        }
        var items: [URLQueryItem] = []
        if case .dict(let filters) = d["filters"] ?? .null {
            for (name, value) in filters.sorted(by: { $0.key < $1.key }) {
                let values = value.listValue?.compactMap(\.stringValue) ?? [value.stringValue ?? ""]
                items.append(URLQueryItem(name: name, value: values.joined(separator: ",")))
            }
        }
        for key in ["address", "group", "user"] {
            if let v = d[key]?.stringValue { items.append(URLQueryItem(name: key, value: v)) }
        }
        for key in d.keys where !["region", "filters", "address", "group", "user"].contains(key) {
            throw InputError("unknown key '\(key)' in ec2:", at: node.location,
                             hint: Suggestions.hint(for: key, in: ["region", "filters", "address", "group", "user"]))
        }
        var components = URLComponents()
        components.queryItems = items
        return [EC2InventorySource.scheme + region + (items.isEmpty ? "" : "?" + (components.percentEncodedQuery ?? ""))]
    }

    static func readHost(_ entry: LocatedValue.Entry) throws -> InventoryHost {
        let hostName = entry.key
        try checkHostName(hostName, at: entry.keyLocation)
        var vars: [String: Value] = [:]
        if !entry.value.isNull {
            guard case .dict(let v) = entry.value.value else {
                throw InputError("host '\(hostName)' must map to its variables", at: entry.value.location)
            }
            vars = v
        }
        func string(_ keys: [String]) -> String? { keys.lazy.compactMap { vars[$0]?.stringValue }.first }
        var port: Int?
        if let p = string(portKeys) {
            guard let value = Int(p), (1...65535).contains(value) else {
                throw InputError("host '\(hostName)': port must be a number from 1 to 65535, not '\(p)'", at: entry.value.location)
            }
            port = value
        }
        if let address = string(addressKeys) { try checkAddress(address, host: hostName, at: entry.value.location) }
        return InventoryHost(name: hostName, address: string(addressKeys), port: port, user: string(userKeys),
                             identityFile: string(keyKeys), variables: vars)
    }

    /// An address is a DNS name or an IPv4/IPv6 address (a template is left to the run): never
    /// spaces, quotes, `;`, `$(…)` or a leading `-` that ssh would read as an option.
    static func checkAddress(_ address: String, host: String, at location: SourceLocation) throws {
        if address.contains("{{") { return }
        let plain = address.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:%[]".contains($0)) }
        guard plain, !address.isEmpty, !address.hasPrefix("-") else {
            throw InputError("host '\(host)': address '\(address)' is not a host name or IP address", at: location,
                             hint: "ansible_host takes a DNS name or an IP address only")
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
