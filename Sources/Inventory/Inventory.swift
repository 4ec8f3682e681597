import Foundation
import ProvisionCore

/// A host as the inventory declares it. Connection settings left nil come from ssh_config.
public struct InventoryHost: Sendable, Equatable {
    public var name: String
    public var address: String?
    public var port: Int?
    public var user: String?
    public var identityFile: String?
    /// Host-level variables (connection keys included, as Ansible keeps them).
    public var variables: [String: Value]
    /// Variables that are data from outside (the cloud API's tags and addresses): never read
    /// as templates, so whoever can tag an instance cannot make the tool expand `{{ … }}`.
    public var dataNames: Set<String> = []

    public init(name: String, address: String? = nil, port: Int? = nil, user: String? = nil,
                identityFile: String? = nil, variables: [String: Value] = [:]) {
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.identityFile = identityFile
        self.variables = variables
    }
}

public struct InventoryGroup: Sendable, Equatable {
    public var name: String
    public var hosts: [String]
    public var children: [String]
    public var variables: [String: Value]

    public init(name: String, hosts: [String] = [], children: [String] = [], variables: [String: Value] = [:]) {
        self.name = name
        self.hosts = hosts
        self.children = children
        self.variables = variables
    }
}

/// Hosts, groups and their variables, shaped like an Ansible inventory. `all` always
/// exists and contains every host.
public struct Inventory: Sendable {
    public private(set) var hosts: [InventoryHost] = []
    public private(set) var groups: [String: InventoryGroup] = ["all": InventoryGroup(name: "all")]
    public var file: String?
    /// Where each `children:` entry was written ("parent/child"), for the cycle error.
    private var childLocations: [String: SourceLocation] = [:]
    /// `ec2:` entries of an inventory file: EC2 inventory URLs whose hosts join this one.
    public var ec2Sources: [String] = []
    /// `group_vars/` and `host_vars/` beside the inventory file.
    var varsDirectories = VarsDirectories()
    /// `group_vars/GROUP` and `host_vars/HOST` beside the playbook: each just above the
    /// inventory's own for that group or host, as in Ansible. (`group_vars/all.yml` beside
    /// the playbook is not among them: it is the playbook's defaults, below every inventory
    /// variable, `PlaybookRunner.loadDefaults`.)
    var playbookVarsDirectories = VarsDirectories()

    /// Reads `group_vars/` and `host_vars/` beside the playbook in `directory` (none when it
    /// is the inventory's own directory: those are read already).
    public mutating func readVarsDirectories(besidePlaybookIn directory: String) throws {
        let inventoryDirectory = file.map { PathText.directory(of: $0) }.map { $0.isEmpty ? "." : $0 }
        func canonical(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
        let directory = directory.isEmpty ? "." : directory
        if let inventoryDirectory, canonical(inventoryDirectory) == canonical(directory) { return }
        var found = try VarsDirectories.load(beside: directory)
        found.groups["all"] = nil
        playbookVarsDirectories = found
    }

    public init(file: String? = nil) { self.file = file }

    /// Adds every host of `other` with its direct group memberships (groups it has here
    /// keep their variables and children).
    public mutating func merge(_ other: Inventory) {
        for host in other.hosts {
            for group in other.groups.values.sorted(by: { $0.name < $1.name }) where group.hosts.contains(host.name) {
                add(host, toGroup: group.name)
            }
        }
    }

    public func host(named name: String) -> InventoryHost? { hosts.first { $0.name == name } }

    /// Adds a host or merges into an existing one (later settings win).
    public mutating func add(_ host: InventoryHost, toGroup group: String = "all") {
        if let i = hosts.firstIndex(where: { $0.name == host.name }) {
            var merged = hosts[i]
            merged.address = host.address ?? merged.address
            merged.port = host.port ?? merged.port
            merged.user = host.user ?? merged.user
            merged.identityFile = host.identityFile ?? merged.identityFile
            merged.variables.merge(host.variables) { $1 }
            merged.dataNames.formUnion(host.dataNames)
            hosts[i] = merged
        } else {
            hosts.append(host)
        }
        ensureGroup(group)
        if !groups[group]!.hosts.contains(host.name) { groups[group]!.hosts.append(host.name) }
    }

    public mutating func ensureGroup(_ name: String) {
        if groups[name] == nil { groups[name] = InventoryGroup(name: name) }
    }

    public mutating func addChild(_ child: String, to parent: String, at location: SourceLocation? = nil) {
        if let location, childLocations[parent + "/" + child] == nil { childLocations[parent + "/" + child] = location }
        ensureGroup(parent)
        ensureGroup(child)
        if !groups[parent]!.children.contains(child) { groups[parent]!.children.append(child) }
    }

    public mutating func setVariables(_ vars: [String: Value], forGroup name: String) {
        ensureGroup(name)
        groups[name]!.variables.merge(vars) { $1 }
    }

    /// Fails on a group that contains itself through its children.
    public func checkForCycles() throws {
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ name: String, _ path: [String]) throws {
            if state[name] == 2 { return }
            if state[name] == 1 {
                let cycle = path[(path.lastIndex(of: name) ?? path.startIndex)...] + [name]
                let at = path.last.flatMap { childLocations[$0 + "/" + name] } ?? file.map { SourceLocation(file: $0, line: 1) }
                throw InputError("inventory: group '\(name)' contains itself (\(cycle.joined(separator: " -> ")))",
                                 at: at, hint: "remove one of these children entries")
            }
            state[name] = 1
            for child in groups[name]?.children ?? [] { try visit(child, path + [name]) }
            state[name] = 2
        }
        for name in groups.keys.sorted() { try visit(name, []) }
    }

    /// Every host in `group`, its children included, in inventory order.
    public func hosts(inGroup name: String) -> [String] {
        if name == "all" { return hosts.map(\.name) }
        var found = Set<String>()
        var visited = Set<String>()
        func collect(_ group: String) {
            guard visited.insert(group).inserted, let g = groups[group] else { return }
            found.formUnion(g.hosts)
            g.children.forEach(collect)
        }
        collect(name)
        return hosts.map(\.name).filter(found.contains)
    }

    /// The groups a host belongs to (directly or through children), `all` first, then by
    /// depth from `all` and name: the order in which their variables apply.
    public func groups(of host: String) -> [String] {
        var depth: [String: Int] = ["all": 0]
        var queue = ["all"]
        while !queue.isEmpty {
            let name = queue.removeFirst()
            for child in groups[name]?.children ?? [] where depth[child] == nil {
                depth[child] = depth[name]! + 1
                queue.append(child)
            }
        }
        return groups.keys
            .filter { $0 == "all" || hosts(inGroup: $0).contains(host) }
            .sorted { (depth[$0] ?? 1, $0) < (depth[$1] ?? 1, $1) }
    }

    /// The names among `variables(for:)` that are data, never templates (`InventoryHost.dataNames`).
    public func dataNames(for host: String) -> Set<String> { self.host(named: host)?.dataNames ?? [] }

    /// Inventory variables for `host`, in Ansible's order (later wins): `all`'s variables in
    /// the inventory file, then `group_vars/all`; the other groups' (by depth from `all`,
    /// then name) in the file, then their `group_vars/`, then the playbook's; the host's own
    /// in the file, then `host_vars/HOST`, then the playbook's.
    public func variables(for host: String) -> [String: Value] {
        var vars: [String: Value] = [:]
        let memberships = groups(of: host)
        let others = memberships.filter { $0 != "all" }
        vars.merge(groups["all"]?.variables ?? [:]) { $1 }
        vars.merge(varsDirectories.groups["all"] ?? [:]) { $1 }
        for group in others { vars.merge(groups[group]?.variables ?? [:]) { $1 } }
        for group in others { vars.merge(varsDirectories.groups[group] ?? [:]) { $1 } }
        for group in others { vars.merge(playbookVarsDirectories.groups[group] ?? [:]) { $1 } }
        vars.merge(self.host(named: host)?.variables ?? [:]) { $1 }
        vars.merge(varsDirectories.hosts[host] ?? [:]) { $1 }
        vars.merge(playbookVarsDirectories.hosts[host] ?? [:]) { $1 }
        vars["inventory_hostname"] = .string(host)
        vars["group_names"] = .list(groups(of: host).filter { $0 != "all" }.map { .string($0) })
        return vars
    }

    /// Resolves a host pattern as Ansible does: names and groups separated by `:` or `,`,
    /// `*` wildcards, `!name` to exclude and `&name` to intersect. Unknown names fail.
    public func resolve(_ pattern: String) throws -> [String] {
        let parts = pattern.split(whereSeparator: { $0 == ":" || $0 == "," })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var selected: [String] = []
        var excluded = Set<String>()
        var intersections: [Set<String>] = []
        for part in parts {
            if part.hasPrefix("!") {
                excluded.formUnion(try match(String(part.dropFirst())))
            } else if part.hasPrefix("&") {
                intersections.append(Set(try match(String(part.dropFirst()))))
            } else {
                for h in try match(part) where !selected.contains(h) { selected.append(h) }
            }
        }
        return selected.filter { h in !excluded.contains(h) && intersections.allSatisfy { $0.contains(h) } }
    }

    func match(_ name: String) throws -> [String] {
        if name == "all" || name == "*" { return hosts.map(\.name) }
        if groups[name] != nil { return hosts(inGroup: name) }
        if host(named: name) != nil { return [name] }
        if name.contains("*") || name.contains("?") {
            let groupHits = groups.keys.filter { Glob.matches($0, name) }.flatMap { hosts(inGroup: $0) }
            let hostHits = hosts.map(\.name).filter { Glob.matches($0, name) }
            return hosts.map(\.name).filter { groupHits.contains($0) || hostHits.contains($0) }
        }
        let known = hosts.map(\.name) + groups.keys.sorted()
        let hint = Suggestions.hint(for: name, in: known) 
            ?? "a host must be in the inventory (-i FILE) or on a Host line of ssh_config (-F FILE), or be given by address; `provision hosts` lists what is known"
        throw InputError("unknown host or group '\(name)'", hint: hint)
    }
}
