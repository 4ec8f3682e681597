import Foundation
import ProvisionCore

/// A role as a play loaded it: where it is and the variables its files bring. The tasks
/// and handlers it contributes are in the play's lists, each with its `RoleReference`.
public struct PlayRole: Sendable {
    public var name: String
    /// Absolute, standardized.
    public var directory: String
    /// `defaults/main.yml` (or `defaults_from`): below every other variable.
    public var defaults: [String: Value]
    /// `vars/main.yml` (or `vars_from`): above play vars and vars_files.
    public var vars: [String: Value]
    public var defaultLocations: [String: SourceLocation] = [:]
    public var varLocations: [String: SourceLocation] = [:]

    public init(name: String, directory: String, defaults: [String: Value] = [:], vars: [String: Value] = [:]) {
        self.name = name
        self.directory = directory
        self.defaults = defaults
        self.vars = vars
    }
}

/// Where a role named in a playbook is looked for, in order (as Ansible does):
/// `roles/` beside the playbook, `roles_path` of an `ansible.cfg` beside the playbook,
/// `ANSIBLE_ROLES_PATH` (else Ansible's default directories), the playbook's directory.
/// A name with a `/` is a path, relative to the playbook.
public struct RolesPath: Sendable {
    /// From `ANSIBLE_ROLES_PATH` (colon-separated), or Ansible's defaults when it is unset.
    public var configured: [String]

    public static let ansibleDefaults = ["~/.ansible/roles", "/usr/share/ansible/roles", "/etc/ansible/roles"]

    public init(configured: [String]) { self.configured = configured }

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let value = environment["ANSIBLE_ROLES_PATH"] {
            configured = value.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        } else {
            configured = Self.ansibleDefaults
        }
    }

    /// The directories `name` may be, absolute and standardized.
    public func candidates(_ name: String, baseDirectory: String) -> [String] {
        func path(_ directory: String, _ name: String) -> String {
            let expanded = NSString(string: directory).expandingTildeInPath
            let base = expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded) : URL(fileURLWithPath: baseDirectory).appendingPathComponent(expanded)
            return base.appendingPathComponent(name).standardizedFileURL.path
        }
        if name.hasPrefix("/") { return [URL(fileURLWithPath: name).standardizedFileURL.path] }
        if name.contains("/") { return [path(baseDirectory, name)] }
        var directories = [path(baseDirectory, "roles")]
        directories += Self.ansibleConfigRolesPath(beside: baseDirectory)
        directories += configured.map { NSString(string: $0).expandingTildeInPath }
        directories.append(baseDirectory)
        var seen = Set<String>()
        return directories.map { path($0, name) }.filter { seen.insert($0).inserted }
    }

    /// `roles_path` in the `[defaults]` section of `ansible.cfg` beside the playbook, each
    /// entry relative to that file's directory.
    static func ansibleConfigRolesPath(beside directory: String) -> [String] {
        let file = URL(fileURLWithPath: directory).appendingPathComponent("ansible.cfg").path
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
        var section = ""
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") { section = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")); continue }
            guard section == "defaults", let eq = line.firstIndex(where: { $0 == "=" || $0 == ":" }),
                  line[..<eq].trimmingCharacters(in: .whitespaces) == "roles_path"
            else { continue }
            return line[line.index(after: eq)...].split(separator: ":").map {
                let entry = NSString(string: $0.trimmingCharacters(in: .whitespaces)).expandingTildeInPath
                return entry.hasPrefix("/") ? entry : URL(fileURLWithPath: directory).appendingPathComponent(entry).standardizedFileURL.path
            }.filter { !$0.isEmpty }
        }
        return []
    }
}

extension Play {
    /// The role layers one task of this play sees (Ansible's rule): the defaults and vars of
    /// every role of the play, its own role's above the others', its role entry's `vars:`
    /// just below its role's `vars/main.yml`, and its role's parameters.
    public func roleLayers(for task: PlaybookTask) -> (defaults: [String: Value], vars: [String: Value], params: [String: Value]) {
        guard !roles.isEmpty else { return ([:], [:], task.role?.params ?? [:]) }
        var defaults: [String: Value] = [:], vars: [String: Value] = [:]
        for role in roles {
            defaults.merge(role.defaults) { $1 }
            vars.merge(role.vars) { $1 }
        }
        if let reference = task.role, roles.indices.contains(reference.instance) {
            let own = roles[reference.instance]
            defaults.merge(own.defaults) { $1 }
            vars.merge(reference.vars) { $1 }
            vars.merge(own.vars) { $1 }
        }
        return (defaults, vars, task.role?.params ?? [:])
    }
}

extension VariableScope {
    /// What `task` of `play` sees on top of its host's layers: its role's layers
    /// (`Play.roleLayers`, and `role_path`, the role's directory) and its own `vars:`. The
    /// run and the preflight both build a task's variables here.
    public func forTask(_ task: PlaybookTask, of play: Play) -> VariableScope {
        var scope = self
        var role = play.roleLayers(for: task)
        if let reference = task.role { role.params["role_path"] = .string(reference.directory) }
        if !role.defaults.isEmpty { scope.add(role.defaults, at: .roleDefaults) }
        if !role.vars.isEmpty { scope.add(role.vars, at: .roleVars) }
        if !task.vars.isEmpty { scope.add(task.vars, at: .task) }
        if !role.params.isEmpty { scope.add(role.params, at: .roleParams) }
        return scope
    }
}

extension PlaybookTask {
    /// The names a `notify` may use for this handler: its name, its `listen` topics, and
    /// for a role's handler also `role : name`.
    public var handlerNames: [String] {
        var names = listen
        if let name {
            names.insert(name, at: 0)
            if let role { names.append("\(role.name) : \(name)") }
        }
        return names
    }
}
