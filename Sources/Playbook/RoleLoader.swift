import Foundation
import ProvisionCore

/// What a play's roles gathered while its task lists were read: their variables, their
/// handlers, which ran already. One per play.
final class RoleCollector {
    let baseDirectory: String
    var roles: [PlayRole] = []
    var handlers: [PlaybookTask] = []
    /// `PlayRole` index by role directory and variable files.
    var instances: [String: Int] = [:]
    /// Roles run by `roles:` or as a dependency (directory, tasks file, parameters): a role
    /// runs once per play with the same parameters, unless its meta has `allow_duplicates`.
    var ran: Set<String> = []
    /// Role directories being expanded, outermost first, for the dependency cycle check.
    var chain: [String] = []
    var handlerFiles: Set<String> = []
    /// Task files being included (`import_tasks`), outermost first, for the cycle check.
    var includeChain: [String] = []
    /// `block:`s read so far in the play: the next one's id.
    var blockCount = 0

    init(baseDirectory: String) { self.baseDirectory = baseDirectory }
}

/// One inclusion of a role: an entry of `roles:`, a dependency in `meta/main.yml`, or an
/// `import_role` / `include_role` task. Its `when`, `tags` and `become` apply to every
/// task of the role.
struct RoleInclusion {
    var name: String
    var location: SourceLocation
    var vars: [String: Value] = [:]
    var params: [String: Value] = [:]
    var when: [String] = []
    var tags: [String] = []
    var become: Bool?
    var becomeUser: String?
    var tasksFrom = "main", varsFrom = "main", defaultsFrom = "main", handlersFrom = "main"
    /// `roles:` and dependencies run a role once per play; `import_role` each time.
    var once: Bool

    init(name: String, location: SourceLocation, once: Bool) {
        self.name = name
        self.location = location
        self.once = once
    }
}

extension PlaybookLoader.Loader {
    static let roleTaskKeywords = ["import_role", "include_role"]
    static let roleTaskParameters = ["name", "tasks_from", "vars_from", "defaults_from", "handlers_from", "public", "allow_duplicates"]

    /// A play's `roles:` list, expanded to tasks.
    func roleEntries(_ node: LocatedValue, roles: RoleCollector) throws -> [PlaybookTask] {
        if node.isNull { return [] }
        guard let items = node.items else {
            throw InputError("roles must be a list of role names or '- role: NAME' entries, not a \(node.kindName)", at: node.location)
        }
        var tasks: [PlaybookTask] = []
        for item in items { tasks += try roleTasks(try roleEntry(item, once: true), roles: roles) }
        return tasks
    }

    /// `- NAME` or `- role: NAME` with `vars`, `when`, `tags`, `become`; other keys are role
    /// parameters (Ansible's older form `- {role: x, port: 80}`).
    func roleEntry(_ item: LocatedValue, once: Bool) throws -> RoleInclusion {
        switch item.content {
        case .scalar(.string(let name)) where !name.trimmingCharacters(in: .whitespaces).isEmpty:
            return RoleInclusion(name: name, location: item.location, once: once)
        case .dict(let entries):
            let nameKey = item["role"] != nil ? "role" : "name"
            guard let nameNode = item[nameKey] else {
                throw InputError("a role entry needs 'role: NAME'", at: item.location, hint: "e.g. '- role: webserver'")
            }
            var inclusion = RoleInclusion(name: try string(nameNode, "role"), location: nameNode.location, once: once)
            for e in entries where e.key != nameKey {
                switch e.key {
                case "name": break  // beside `role:`, only a label
                case "vars": inclusion.vars = try variables(e.value, what: "role vars").0
                case "when": inclusion.when = try conditions(e.value)
                case "tags": inclusion.tags = try tagList(e.value)
                case "become": inclusion.become = try bool(e.value, "become")
                case "become_user": inclusion.becomeUser = try becomeUser(e.value)
                default:
                    if PlaybookLoader.unsupportedTaskKeywords.contains(e.key) || PlaybookLoader.taskKeywords.contains(e.key) {
                        throw InputError("'\(e.key)' on a role is not supported yet", at: e.keyLocation,
                                         hint: "a role entry takes role, vars, when, tags, become, become_user and role parameters")
                    }
                    let (values, _) = try variables(LocatedValue(.dict([e]), at: item.location), what: "role parameters")
                    inclusion.params.merge(values) { $1 }
                }
            }
            return inclusion
        default:
            throw InputError("a role entry must be a role name or a mapping with 'role: NAME', not a \(item.kindName)", at: item.location)
        }
    }

    /// An `import_role` / `include_role` task as a role inclusion, or nil for any other task.
    /// Both are expanded when the playbook is loaded (as `import_role` is in Ansible), so
    /// validate, the preflight and the run see the same tasks.
    func roleTask(_ node: LocatedValue, handlers: Bool) throws -> RoleInclusion? {
        guard let entries = node.entries,
              let entry = entries.first(where: { Self.roleTaskKeywords.contains(ModuleVocabulary.canonicalName($0.key)) })
        else { return nil }
        let keyword = ModuleVocabulary.canonicalName(entry.key)
        if handlers {
            throw InputError("'\(keyword)' in handlers is not supported", at: entry.keyLocation,
                             hint: "list the role's handlers in its handlers/main.yml")
        }
        guard let arguments = entry.value.entries else {
            throw InputError("\(keyword) takes a mapping such as '{name: ROLE}', not a \(entry.value.kindName)", at: entry.value.location)
        }
        guard let nameNode = entry.value["name"] ?? entry.value["role"] else {
            throw InputError("\(keyword): missing required parameter 'name'", at: entry.keyLocation)
        }
        let name = try string(nameNode, "\(keyword) name")
        if TemplateEngine.isTemplate(name) {
            throw InputError("\(keyword): a templated role name is not supported yet", at: nameNode.location,
                             hint: "name the role literally")
        }
        var inclusion = RoleInclusion(name: name, location: nameNode.location, once: false)
        for a in arguments {
            switch a.key {
            case "name", "role": break
            case "tasks_from": inclusion.tasksFrom = try string(a.value, "tasks_from")
            case "vars_from": inclusion.varsFrom = try string(a.value, "vars_from")
            case "defaults_from": inclusion.defaultsFrom = try string(a.value, "defaults_from")
            case "handlers_from": inclusion.handlersFrom = try string(a.value, "handlers_from")
            case "public": _ = try bool(a.value, "public")  // role variables are visible play-wide anyway
            case "allow_duplicates": inclusion.once = !(try bool(a.value, "allow_duplicates"))
            default:
                throw InputError("\(keyword): unknown parameter '\(a.key)'", at: a.keyLocation,
                                 hint: Suggestions.hint(for: a.key, in: Self.roleTaskParameters)
                                     ?? "\(keyword) takes: \(Self.roleTaskParameters.joined(separator: ", "))")
            }
        }
        let keywords = try inclusionKeywords(entries, besides: entry.key, keyword: keyword)
        inclusion.when = keywords.when
        inclusion.tags = keywords.tags
        inclusion.params = keywords.vars  // a task's vars are the role's parameters
        inclusion.become = keywords.become
        inclusion.becomeUser = keywords.becomeUser
        return inclusion
    }

    /// The tasks one inclusion brings: its dependencies' first, then its own; its handlers
    /// and variables go to `roles`.
    func roleTasks(_ inclusion: RoleInclusion, roles: RoleCollector) throws -> [PlaybookTask] {
        let candidates = rolesPath.candidates(inclusion.name, baseDirectory: roles.baseDirectory)
        guard let directory = candidates.first(where: Self.isDirectory) else {
            throw InputError("role '\(inclusion.name)' not found", at: inclusion.location,
                             hint: "looked in \(candidates.joined(separator: ", ")); put it in roles/ beside the playbook or set ANSIBLE_ROLES_PATH")
        }
        let name = (directory as NSString).lastPathComponent
        if let index = roles.chain.firstIndex(of: directory) {
            let names = (roles.chain[index...] + [directory]).map { ($0 as NSString).lastPathComponent }
            throw InputError("role dependency cycle: \(names.joined(separator: " -> "))", at: inclusion.location,
                             hint: "a role cannot depend on itself, directly or through others")
        }
        let meta = try roleMeta(directory)
        if inclusion.once && !meta.allowDuplicates {
            let parameters = Value.dict(inclusion.params.merging(inclusion.vars) { $1 }).jsonText
            guard roles.ran.insert(directory + "\u{0}" + inclusion.tasksFrom + "\u{0}" + parameters).inserted else { return [] }
        }
        roles.chain.append(directory)
        defer { roles.chain.removeLast() }

        var tasks: [PlaybookTask] = []
        for dependency in meta.dependencies {
            var needed = try roleEntry(dependency, once: true)
            // A dependency runs under the conditions of the role that needs it.
            needed.when = inclusion.when + needed.when
            needed.tags = Self.union(inclusion.tags, needed.tags)
            needed.become = needed.become ?? inclusion.become
            needed.becomeUser = needed.becomeUser ?? inclusion.becomeUser
            tasks += try roleTasks(needed, roles: roles)
        }

        let variablesKey = [directory, inclusion.varsFrom, inclusion.defaultsFrom].joined(separator: "\u{0}")
        let instance: Int
        if let known = roles.instances[variablesKey] {
            instance = known
        } else {
            var role = PlayRole(name: name, directory: directory)
            if let file = try roleFile(directory, "defaults", inclusion.defaultsFrom, at: inclusion.location) {
                (role.defaults, role.defaultLocations) = try roleVariables(file, what: "role defaults")
            }
            if let file = try roleFile(directory, "vars", inclusion.varsFrom, at: inclusion.location) {
                (role.vars, role.varLocations) = try roleVariables(file, what: "role vars")
            }
            roles.roles.append(role)
            instance = roles.roles.count - 1
            roles.instances[variablesKey] = instance
        }
        let reference = RoleReference(name: name, directory: directory, instance: instance,
                                      vars: inclusion.vars, params: inclusion.params)
        func adopt(_ task: PlaybookTask, conditions: Bool) -> PlaybookTask {
            var task = task
            task.role = task.role ?? reference   // a task of a role it imports keeps that role
            if conditions {
                task.when = inclusion.when + task.when
                task.tags = Self.union(inclusion.tags, task.tags)
            }
            task.become = task.become ?? inclusion.become
            task.becomeUser = task.becomeUser ?? inclusion.becomeUser
            return task
        }

        if let file = try roleFile(directory, "tasks", inclusion.tasksFrom, at: inclusion.location) {
            let root = try YAMLDocument.loadValue(path: file)
            tasks += try self.tasks(root, key: "tasks", handlers: false, roles: roles, directory: PathText.directory(of: file))
                .map { adopt($0, conditions: true) }
        }
        if let file = try roleFile(directory, "handlers", inclusion.handlersFrom, at: inclusion.location),
           roles.handlerFiles.insert(file).inserted {
            let root = try YAMLDocument.loadValue(path: file)
            roles.handlers += try self.tasks(root, key: "handlers", handlers: true, roles: roles, directory: PathText.directory(of: file))
                .map { adopt($0, conditions: false) }
        }
        return tasks
    }

    /// `meta/main.yml`: `dependencies` (role names or role entries) and `allow_duplicates`;
    /// the other keys (`galaxy_info`, …) are for Galaxy.
    func roleMeta(_ directory: String) throws -> (dependencies: [LocatedValue], allowDuplicates: Bool) {
        guard let file = try roleFile(directory, "meta", "main", at: nil) else { return ([], false) }
        let root = try YAMLDocument.loadValue(path: file)
        if root.isNull { return ([], false) }
        guard root.entries != nil else {
            throw InputError("a role's meta/main.yml must be a mapping, not a \(root.kindName)", at: root.location)
        }
        let allow = try root["allow_duplicates"].map { try bool($0, "allow_duplicates") } ?? false
        guard let dependencies = root["dependencies"], !dependencies.isNull else { return ([], allow) }
        guard let items = dependencies.items else {
            throw InputError("dependencies must be a list of roles, not a \(dependencies.kindName)", at: dependencies.location)
        }
        return (items, allow)
    }

    /// `DIR/tasks/main.yml` (or `.yaml`, or no extension); `tasks_from: setup` is `tasks/setup.yml`.
    /// A missing `main` is fine (a role may have no tasks); a missing named file is an error.
    func roleFile(_ directory: String, _ kind: String, _ name: String, at location: SourceLocation?) throws -> String? {
        let base = URL(fileURLWithPath: directory).appendingPathComponent(kind)
        let names = (name as NSString).pathExtension.isEmpty ? [name + ".yml", name + ".yaml", name] : [name]
        let candidates = names.map { base.appendingPathComponent($0).standardizedFileURL.path }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) && !Self.isDirectory($0) }) { return found }
        if name == "main" { return nil }
        throw InputError("\(kind)_from: '\(name)' not found in role \((directory as NSString).lastPathComponent)", at: location,
                         hint: "looked for \(candidates.joined(separator: ", "))")
    }

    func roleVariables(_ file: String, what: String) throws -> ([String: Value], [String: SourceLocation]) {
        let root = try YAMLDocument.loadValue(path: file)
        return try variables(root, what: what)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func union(_ a: [String], _ b: [String]) -> [String] { a + b.filter { !a.contains($0) } }
}
