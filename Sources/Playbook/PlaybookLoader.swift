import Foundation
import ProvisionCore

/// YAML playbook -> `Playbook`, with a located `InputError` for every mistake.
public enum PlaybookLoader {
    public static let playKeywords: [String] = [
        "name", "hosts", "vars", "vars_files", "become", "become_user", "gather_facts", "any_errors_fatal",
        "environment", "tasks", "handlers", "pre_tasks", "post_tasks", "roles", "serial", "remote_user", "connection",
        "module_defaults",
    ]
    public static let taskKeywords: [String] = [
        "name", "when", "notify", "tags", "loop", "with_items", "with_first_found", "loop_control", "register",
        "become", "become_user", "ignore_errors", "listen", "vars", "args", "changed_when", "failed_when",
        "check_mode", "diff", "until", "retries", "delay", "no_log", "environment", "run_once", "module_defaults",
    ]
    /// Ansible keywords we recognise but do not implement: a clear error beats "unknown module".
    static let unsupportedTaskKeywords: Set<String> = [
        "include", "delegate_to",
        "with_dict", "with_list", "with_fileglob", "async", "poll",
        "local_action",
    ]
    static let unsupportedPlayKeywords: Set<String> = [
        "strategy", "max_fail_percentage",
        "vars_prompt", "order", "tags", "collections",
    ]

    /// Loads the playbook at `path`, following `import_playbook` and expanding roles
    /// (`RolesPath`: `roles/` beside the playbook, `ANSIBLE_ROLES_PATH`, …).
    public static func load(path: String, modules: ModuleVocabulary, rolesPath: RolesPath = RolesPath()) throws -> Playbook {
        var loader = Loader(modules: modules, rolesPath: rolesPath)
        let plays = try loader.loadFile(path, importedFrom: nil)
        return Playbook(file: path, plays: plays)
    }

    /// Loads a playbook from text (tests, stdin). Relative imports resolve against `baseDirectory`.
    public static func load(text: String, file: String, baseDirectory: String? = nil,
                            modules: ModuleVocabulary, rolesPath: RolesPath = RolesPath()) throws -> Playbook {
        var loader = Loader(modules: modules, rolesPath: rolesPath)
        let root = try YAMLDocument.loadValue(text: text, file: file)
        let cwd = FileManager.default.currentDirectoryPath
        let absolute = standardized(file, base: cwd)
        let base = baseDirectory.map { standardized($0, base: cwd) } ?? directory(of: absolute)
        loader.stack = [absolute]
        let plays = try loader.plays(root, file: file, baseDirectory: base)
        return Playbook(file: file, plays: plays)
    }

    static func standardized(_ path: String, base: String) -> String {
        let absolute = path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }

    /// The directory of an absolute, standardized path (`/` for a file at the root). Relative
    /// paths never get here: `q.yml` has no directory part, `./q.yml` one that is `.`, and
    /// each play must know its directory absolutely (vars_files, templates, files).
    static func directory(of absolutePath: String) -> String {
        let parent = URL(fileURLWithPath: absolutePath).deletingLastPathComponent().standardizedFileURL.path
        return parent.isEmpty ? "/" : parent
    }

    // MARK: -

    struct Loader {
        var modules: ModuleVocabulary
        var rolesPath: RolesPath
        /// Files being loaded, outermost first, for the import cycle check.
        var stack: [String] = []

        init(modules: ModuleVocabulary, rolesPath: RolesPath) {
            self.modules = modules
            self.rolesPath = rolesPath
        }

        mutating func loadFile(_ path: String, importedFrom: SourceLocation?) throws -> [Play] {
            let absolute = PlaybookLoader.standardized(path, base: FileManager.default.currentDirectoryPath)
            if let index = stack.firstIndex(of: absolute) {
                let chain = (stack[index...] + [absolute]).map { ($0 as NSString).lastPathComponent }
                throw InputError("import_playbook cycle: \(chain.joined(separator: " -> "))", at: importedFrom,
                                 hint: "a playbook cannot import itself, directly or through others")
            }
            if importedFrom == nil, !FileManager.default.fileExists(atPath: path) {
                throw InputError("playbook \(path) not found",
                                 hint: "paths are relative to the current directory; `provision run` takes one with -p (default playbooks/site.yml)")
            }
            let root: LocatedValue
            do {
                root = try YAMLDocument.loadValue(path: path)
            } catch var error as InputError where error.location == nil {
                error.location = importedFrom
                throw error
            }
            stack.append(absolute)
            defer { stack.removeLast() }
            return try plays(root, file: path, baseDirectory: PlaybookLoader.directory(of: absolute))
        }

        mutating func plays(_ root: LocatedValue, file: String, baseDirectory: String) throws -> [Play] {
            if root.isNull { return [] }
            guard let items = root.items else {
                throw InputError("a playbook must be a list of plays", at: root.location,
                                 hint: "start each play with '- hosts: …'")
            }
            var plays: [Play] = []
            for item in items {
                if let target = item.entry("import_playbook") {
                    for e in item.entries ?? [] where e.key != "import_playbook" && e.key != "name" {
                        throw InputError("unexpected key '\(e.key)' next to import_playbook", at: e.keyLocation,
                                         hint: "an import_playbook entry takes only a file name (and a name)")
                    }
                    guard case .scalar(.string(let relative)) = target.value.content, !relative.isEmpty else {
                        throw InputError("import_playbook must be a file name", at: target.value.location)
                    }
                    let path = relative.hasPrefix("/") ? relative : (baseDirectory as NSString).appendingPathComponent(relative)
                    guard FileManager.default.fileExists(atPath: path) else {
                        throw InputError("import_playbook: file not found: '\(relative)'", at: target.value.location,
                                         hint: "paths are relative to the importing playbook's directory")
                    }
                    plays += try loadFile(path, importedFrom: target.value.location)
                } else {
                    plays.append(try play(item, baseDirectory: baseDirectory))
                }
            }
            return plays
        }

        func play(_ node: LocatedValue, baseDirectory: String) throws -> Play {
            guard let entries = node.entries, let hostsNode = node["hosts"] else {
                throw InputError("a play must be a mapping with `hosts`", at: node.location,
                                 hint: "e.g. '- hosts: web' followed by 'tasks:'")
            }
            for e in entries where !PlaybookLoader.playKeywords.contains(e.key) {
                if PlaybookLoader.unsupportedPlayKeywords.contains(e.key) {
                    throw InputError("play keyword '\(e.key)' is not supported yet", at: e.keyLocation)
                }
                throw InputError("unknown play keyword '\(e.key)'", at: e.keyLocation,
                                 hint: Suggestions.hint(for: e.key, in: PlaybookLoader.playKeywords)
                                     ?? "play keywords: \(PlaybookLoader.playKeywords.joined(separator: ", "))")
            }
            let hosts: String
            switch hostsNode.value {
            case .string(let s) where !s.trimmingCharacters(in: .whitespaces).isEmpty: hosts = s
            case .list(let l) where !l.isEmpty && l.allSatisfy({ $0.stringValue != nil }):
                hosts = l.map(\.text).joined(separator: ",")
            default:
                throw InputError("hosts must be a host pattern such as 'all' or 'web'", at: hostsNode.location)
            }
            var play = Play(hosts: hosts, baseDirectory: baseDirectory, location: node.location)
            if let name = node["name"] { play.name = try string(name, "name") }
            if let vars = node["vars"] {
                (play.vars, play.varLocations) = try variables(vars, what: "play vars")
            }
            if let files = node.entry("vars_files") {
                play.varsFiles = try stringList(files.value, "vars_files")
                play.varsFilesLocation = files.keyLocation
            }
            if let b = node["become"] {
                play.become = try bool(b, "become")
                play.becomeWritten = true
            }
            if let u = node["become_user"] { play.becomeUser = try becomeUser(u) }
            if let g = node["gather_facts"] { play.gatherFacts = try bool(g, "gather_facts") }
            if let f = node["any_errors_fatal"] { play.anyErrorsFatal = try bool(f, "any_errors_fatal") }
            if let s = node["serial"] { play.serial = try serial(s) }
            if let u = node["remote_user"] { play.remoteUser = try remoteUser(u) }
            if let c = node["connection"] { play.connectionLocal = try connectionIsLocal(c) }
            // Ansible's order: pre_tasks, roles (each after its dependencies), tasks, post_tasks.
            let roles = RoleCollector(baseDirectory: baseDirectory)
            if let list = node["pre_tasks"] { play.tasks += try tasks(list, key: "pre_tasks", handlers: false, roles: roles) }
            if let list = node["roles"] { play.tasks += try roleEntries(list, roles: roles) }
            for key in ["tasks", "post_tasks"] {
                if let list = node[key] { play.tasks += try tasks(list, key: key, handlers: false, roles: roles) }
            }
            if let list = node["handlers"] { play.handlers = try tasks(list, key: "handlers", handlers: true, roles: roles) }
            play.handlers += roles.handlers
            // The play's environment under each task's own (Ansible's order).
            if let e = node["environment"] {
                let playEnvironment = try environment(e)
                func withPlayEnvironment(_ task: PlaybookTask) -> PlaybookTask {
                    var task = task
                    task.environment = playEnvironment.merging(task.environment) { $1 }
                    return task
                }
                play.tasks = play.tasks.map(withPlayEnvironment)
                play.handlers = play.handlers.map(withPlayEnvironment)
            }
            if let m = node["module_defaults"] {
                let defaults = try moduleDefaults(m)
                play.tasks = play.tasks.map(defaults.apply)
                play.handlers = play.handlers.map(defaults.apply)
            }
            play.roles = roles.roles
            return play
        }

        /// The tasks of a list; `import_role`/`include_role` items become the role's tasks,
        /// `import_tasks`/`include_tasks` items the file's. `directory`: where the list's file
        /// is (included files are looked for there first), nil for the playbook's.
        func tasks(_ node: LocatedValue, key: String, handlers: Bool, roles: RoleCollector,
                   directory: String? = nil) throws -> [PlaybookTask] {
            if node.isNull { return [] }
            guard let items = node.items else {
                throw InputError("\(key) must be a list", at: node.location,
                                 hint: "write each task as an item starting with '- '")
            }
            var result: [PlaybookTask] = []
            for item in items {
                if let flattened = try blockTasks(item, key: key, handlers: handlers, roles: roles, directory: directory) {
                    result += flattened
                } else if let inclusion = try roleTask(item, handlers: handlers) {
                    result += try roleTasks(inclusion, roles: roles)
                } else if let include = try taskInclude(item) {
                    result += try includedTasks(include, handlers: handlers, roles: roles, directory: directory ?? roles.baseDirectory)
                } else {
                    result.append(try task(item, handlers: handlers))
                }
            }
            return result
        }

        var moduleNames: [String] { modules.allNames }

        func spec(named name: String) -> ModuleVocabulary.Entry? { modules.entry(named: name) }

        /// `with_first_found: [a.yml, b.yml]` or `{files: [...], paths: [...], skip: bool}`.
        func firstFound(_ node: LocatedValue) throws -> (Value, FirstFound) {
            if node.value.listValue != nil { return (node.value, FirstFound()) }
            guard let entries = node.entries else {
                throw InputError("with_first_found must be a list of files, or a mapping with files (and paths, skip)", at: node.location)
            }
            var files: Value = .list([])
            var lookup = FirstFound()
            for e in entries {
                switch e.key {
                case "files": files = e.value.value.listValue.map { .list($0) } ?? .list([e.value.value])
                case "paths": lookup.paths = try stringList(e.value, "with_first_found paths")
                case "skip": lookup.skip = try bool(e.value, "with_first_found skip")
                default:
                    throw InputError("with_first_found: unknown key '\(e.key)'", at: e.keyLocation, hint: "it takes files, paths, skip")
                }
            }
            return (files, lookup)
        }

        func task(_ node: LocatedValue, handlers: Bool) throws -> PlaybookTask {
            guard let entries = node.entries else {
                throw InputError("a task must be a mapping with a module, e.g. '- name: …' then 'copy: …'",
                                 at: node.location)
            }
            var moduleEntry: LocatedValue.Entry?
            for e in entries where !PlaybookLoader.taskKeywords.contains(e.key) {
                // `ansible.builtin.set_fact` is `set_fact`: one answer for both spellings.
                let bare = ModuleVocabulary.canonicalName(e.key)
                if PlaybookLoader.unsupportedTaskKeywords.contains(bare) {
                    throw InputError("'\(bare)' is not supported yet", at: e.keyLocation)
                }
                guard spec(named: e.key) != nil else {
                    throw InputError("unknown module or keyword '\(e.key)'", at: e.keyLocation,
                                     hint: Suggestions.hint(for: ModuleVocabulary.canonicalName(e.key),
                                                            in: moduleNames + PlaybookLoader.taskKeywords))
                }
                if let first = moduleEntry {
                    throw InputError("a task has exactly one module; this one has '\(first.key)' and '\(e.key)'",
                                     at: e.keyLocation, hint: "split it into two tasks")
                }
                moduleEntry = e
            }
            guard let moduleEntry else {
                throw InputError("task has no module", at: node.location,
                                 hint: "add one module such as 'command', 'copy' or 'template'")
            }
            let module = ModuleVocabulary.canonicalName(moduleEntry.key)
            var task = PlaybookTask(module: module, location: node.location)
            for e in entries { task.keywordLocations[e.key] = e.keyLocation }
            (task.arguments, task.argumentLocations) = try arguments(moduleEntry, module: module)
            if let extra = node["args"] {
                guard let argEntries = extra.entries else {
                    throw InputError("args must be a mapping", at: extra.location)
                }
                for e in argEntries where task.arguments[e.key] == nil {
                    task.arguments[e.key] = e.value.value
                    task.argumentLocations[e.key] = e.keyLocation
                }
            }
            // A task's own module_defaults sit under its arguments, over its blocks' and play's.
            if let m = node["module_defaults"] { task = try moduleDefaults(m).apply(to: task) }
            if let name = node["name"] { task.name = try string(name, "name") }
            if let when = node["when"] { task.when = try conditions(when) }
            if let n = node["notify"] { task.notify = try stringList(n, "notify") }
            if let l = node["listen"] { task.listen = try stringList(l, "listen") }
            if let t = node["tags"] { task.tags = try tagList(t) }
            let loop = node.entry("loop"), withItems = node.entry("with_items"), firstFound = node.entry("with_first_found")
            if loop != nil, let withItems {
                throw InputError("a task may have 'loop' or 'with_items', not both", at: withItems.keyLocation)
            }
            if let firstFound {
                if let other = loop ?? withItems {
                    throw InputError("a task may have '\(other.key)' or 'with_first_found', not both", at: firstFound.keyLocation)
                }
                (task.loop, task.firstFound) = try self.firstFound(firstFound.value)
            } else if let l = loop ?? withItems {
                switch l.value.content {
                case .list:
                    var items = l.value.value.listValue ?? []
                    if l.key == "with_items" {  // with_items flattens one level
                        items = items.flatMap { $0.listValue ?? [$0] }
                    }
                    task.loop = .list(items)
                case .scalar(.string(let s)):
                    task.loop = .string(s)
                default:
                    throw InputError("\(l.key) must be a list or a template that gives a list, not a \(l.value.kindName)",
                                     at: l.value.location)
                }
            }
            if let control = node["loop_control"] {
                guard let entries = control.entries else {
                    throw InputError("loop_control must be a mapping", at: control.location)
                }
                for e in entries {
                    switch e.key {
                    case "loop_var": task.loopVariable = try identifier(e.value, "loop_var")
                    case "label": break  // display only
                    default:
                        throw InputError("unknown loop_control key '\(e.key)'", at: e.keyLocation,
                                         hint: Suggestions.hint(for: e.key, in: ["loop_var", "label"]) ?? "supported: loop_var, label")
                    }
                }
            }
            if let r = node["register"] { task.register = try identifier(r, "register") }
            if let b = node["become"] { task.become = try bool(b, "become") }
            if let u = node["become_user"] { task.becomeUser = try becomeUser(u) }
            if let i = node["ignore_errors"] { task.ignoreErrors = try bool(i, "ignore_errors") }
            if let c = node["changed_when"] { task.changedWhen = try conditions(c) }
            if let f = node["failed_when"] { task.failedWhen = try conditions(f) }
            if let u = node["until"] { task.until = try conditions(u) }
            if let n = node["no_log"] { task.noLog = try bool(n, "no_log") }
            if let o = node["run_once"] {
                task.runOnce = try bool(o, "run_once")
                // A handler runs at each host's own flush: there is no one point all hosts meet.
                if handlers, task.runOnce, let at = node.entry("run_once")?.keyLocation {
                    throw InputError("run_once on a handler is not supported yet", at: at,
                                     hint: "put run_once on the task that needs it, or notify the handler from a run_once task")
                }
            }
            if let e = node["environment"] { task.environment = try environment(e) }
            if let r = node["retries"] { task.retries = try count(r, "retries", in: 0...1000) }
            if let d = node["delay"] { task.delay = try count(d, "delay", in: 0...3600) }
            if task.until == nil, let extra = node.entry("retries") ?? node.entry("delay") {
                throw InputError("'\(extra.key)' needs 'until' (the condition to retry for)", at: extra.keyLocation)
            }
            if let c = node["check_mode"] { task.checkMode = try bool(c, "check_mode") }
            if let d = node["diff"] { task.diff = try bool(d, "diff") }
            if let v = node["vars"] { task.vars = try variables(v, what: "task vars").0 }
            if !handlers, task.listen.count > 0, let at = task.keywordLocations["listen"] {
                throw InputError("'listen' is only for handlers", at: at)
            }
            return task
        }

        func arguments(_ entry: LocatedValue.Entry, module: String) throws -> ([String: Value], [String: SourceLocation]) {
            let node = entry.value
            var values: [String: Value] = [:]
            var locations: [String: SourceLocation] = [:]
            switch node.content {
            case .scalar(.null):
                break
            case .dict(let entries):
                for e in entries {
                    values[e.key] = e.value.value
                    locations[e.key] = e.keyLocation
                }
            case .scalar(let scalar) where scalar.stringValue != nil:
                let text = scalar.text
                let tokens: [ArgumentSplitter.Token]
                do {
                    tokens = try ArgumentSplitter.tokens(text)
                } catch let error as ArgumentSplitter.SplitError {
                    throw InputError("\(module): cannot split arguments: \(error.message)", at: node.location)
                }
                func tokenLocation(_ token: ArgumentSplitter.Token) -> SourceLocation {
                    var l = node.location
                    l.column += text.distance(from: text.startIndex, to: token.range.lowerBound)
                    return l
                }
                if let entry = spec(named: module), let freeForm = entry.freeFormParameter {
                    // The module's other parameters may follow its text as `key=value` words.
                    let known = Set(entry.parameters).subtracting([freeForm, "free_form", "argv"])
                    var command = text
                    for token in tokens.reversed() {
                        guard let (key, value) = ArgumentSplitter.keyValue(token.text), known.contains(key) else { continue }
                        values[key] = .string(value)
                        locations[key] = tokenLocation(token)
                        command.removeSubrange(token.range)
                    }
                    let cmd = command.trimmingCharacters(in: .whitespaces)
                    if !cmd.isEmpty {
                        values[freeForm] = .string(cmd)
                        locations[freeForm] = node.location
                    }
                } else {
                    for token in tokens {
                        guard let (key, value) = ArgumentSplitter.keyValue(token.text) else {
                            throw InputError("\(module): expected key=value, got '\(token.text)'", at: node.location,
                                             hint: "write the arguments as a mapping, or as key=value pairs")
                        }
                        values[key] = .string(value)
                        locations[key] = tokenLocation(token)
                    }
                }
            case .list, .scalar:
                throw InputError("arguments of '\(entry.key)' must be a mapping or key=value pairs, not a \(node.kindName)",
                                 at: node.location)
            }
            return (values, locations)
        }
    }
}
