import Foundation
import ProvisionCore

/// An `import_tasks` / `include_tasks` item: the file and what applies to each of its tasks.
struct TaskInclude {
    var keyword: String
    var file: String
    var location: SourceLocation
    var when: [String] = []
    var tags: [String] = []
    var vars: [String: Value] = [:]
    var become: Bool?
    var becomeUser: String?
}

/// What an inclusion's own keywords apply to each task it brings.
struct InclusionKeywords {
    var when: [String] = []
    var tags: [String] = []
    var vars: [String: Value] = [:]
    var become: Bool?
    var becomeUser: String?
    /// A block's `module_defaults` (under its tasks' own arguments).
    var moduleDefaults = ModuleDefaults()
    /// A block's `environment` (under its tasks' own variables, over the play's).
    var environment: [String: Value] = [:]

    /// The inclusion's `when` and `tags` go before the task's own, its `become` where the task
    /// sets none, its `vars` over the task's (an include's parameters, as in Ansible) or under
    /// them (a block's vars: Ansible ranks task vars above).
    func apply(to task: PlaybookTask, varsOverTask: Bool) -> PlaybookTask {
        var task = task
        task.when = when + task.when
        task.tags = PlaybookLoader.Loader.union(tags, task.tags)
        task.vars.merge(vars) { mine, theirs in varsOverTask ? theirs : mine }
        task.become = task.become ?? become
        task.becomeUser = task.becomeUser ?? becomeUser
        task.environment = environment.merging(task.environment) { $1 }
        return moduleDefaults.apply(to: task)
    }
}

extension PlaybookLoader.Loader {
    static let taskIncludeKeywords = ["import_tasks", "include_tasks"]

    /// `import_tasks: FILE` or `include_tasks: {file: FILE}` with `name`, `when`, `tags`,
    /// `vars`, `become`, `become_user`; nil for any other task. Both are expanded when the
    /// playbook is loaded (as `import_tasks` is in Ansible); a name known only on a host
    /// (`setup-{{ ansible_os_family }}.yml`) is expanded to every file it can name
    /// (`templatedIncludedTasks`).
    func taskInclude(_ node: LocatedValue) throws -> TaskInclude? {
        guard let entries = node.entries,
              let entry = entries.first(where: { Self.taskIncludeKeywords.contains(ModuleVocabulary.canonicalName($0.key)) })
        else { return nil }
        let keyword = ModuleVocabulary.canonicalName(entry.key)
        let fileNode: LocatedValue
        if let arguments = entry.value.entries {
            for a in arguments where a.key != "file" {
                throw InputError("\(keyword): unknown parameter '\(a.key)'", at: a.keyLocation,
                                 hint: a.key == "apply" ? "'apply' is not supported yet" : "\(keyword) takes: file")
            }
            guard let file = entry.value["file"] else {
                throw InputError("\(keyword): missing required parameter 'file'", at: entry.keyLocation)
            }
            fileNode = file
        } else {
            fileNode = entry.value
        }
        let file = try string(fileNode, "\(keyword) file")
        let keywords = try inclusionKeywords(entries, besides: entry.key, keyword: keyword)
        return TaskInclude(keyword: keyword, file: file, location: fileNode.location, when: keywords.when, tags: keywords.tags,
                           vars: keywords.vars, become: keywords.become, becomeUser: keywords.becomeUser)
    }

    /// The keywords an inclusion (`import_tasks`, `include_role` …) takes beside its own key,
    /// read once for every kind of inclusion.
    func inclusionKeywords(_ entries: [LocatedValue.Entry], besides key: String, keyword: String) throws -> InclusionKeywords {
        var keywords = InclusionKeywords()
        for e in entries where e.key != key {
            switch e.key {
            case "name": break
            case "when": keywords.when = try conditions(e.value)
            case "tags": keywords.tags = try tagList(e.value)
            case "vars": keywords.vars = try variables(e.value, what: "\(keyword) vars").0
            case "become": keywords.become = try bool(e.value, "become")
            case "become_user": keywords.becomeUser = try becomeUser(e.value)
            case "module_defaults" where keyword == "block": keywords.moduleDefaults = try moduleDefaults(e.value)
            case "environment" where keyword == "block": keywords.environment = try environment(e.value)
            default:
                throw InputError("'\(e.key)' on \(keyword) is not supported yet", at: e.keyLocation,
                                 hint: "\(keyword) takes name, when, tags, vars, become\(keyword == "block" ? ", become_user, environment and module_defaults" : " and become_user")")
            }
        }
        return keywords
    }

    /// The tasks of the included file, looked for beside the including file, then beside the
    /// playbook; the include's `when` and `tags` go before each task's own, its `vars` over them.
    func includedTasks(_ include: TaskInclude, handlers: Bool, roles: RoleCollector, directory: String) throws -> [PlaybookTask] {
        if TemplateEngine.isTemplate(include.file) {
            return try templatedIncludedTasks(include, handlers: handlers, roles: roles, directory: directory)
        }
        var seen = Set<String>()
        let candidates = [directory, roles.baseDirectory].map {
            URL(fileURLWithPath: $0).appendingPathComponent(include.file).standardizedFileURL.path
        }.filter { seen.insert($0).inserted }
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) && !Self.isDirectory($0) }) else {
            throw InputError("\(include.keyword): file not found: '\(include.file)'", at: include.location,
                             hint: "looked for \(candidates.joined(separator: ", "))")
        }
        if let index = roles.includeChain.firstIndex(of: path) {
            let names = (roles.includeChain[index...] + [path]).map { ($0 as NSString).lastPathComponent }
            throw InputError("\(include.keyword) cycle: \(names.joined(separator: " -> "))", at: include.location,
                             hint: "a task file cannot include itself, directly or through others")
        }
        roles.includeChain.append(path)
        defer { roles.includeChain.removeLast() }
        let root = try YAMLDocument.loadValue(path: path)
        let tasks = try self.tasks(root, key: include.keyword, handlers: handlers, roles: roles,
                                   directory: PathText.directory(of: path))
        let keywords = InclusionKeywords(when: include.when, tags: include.tags, vars: include.vars,
                                         become: include.become, becomeUser: include.becomeUser)
        return tasks.map { keywords.apply(to: $0, varsOverTask: true) }
    }

    /// `include_tasks: setup-{{ ansible_os_family }}.yml`: the name is known only on the host,
    /// so every file it can name (each `{{ … }}` read as `*`, in the first directory with a
    /// match) is loaded, its tasks guarded by `when: <the name> == '<that file>'`; a host whose
    /// name is none of them fails there, as Ansible's include of a missing file does. Validate
    /// and the preflight see every candidate's tasks.
    func templatedIncludedTasks(_ include: TaskInclude, handlers: Bool, roles: RoleCollector, directory: String) throws -> [PlaybookTask] {
        let name = try Self.expression(forTemplate: include.file, at: include.location, keyword: include.keyword)
        let pattern = TemplatedFileName.pattern(include.file)
        let folder = PathText.directory(of: pattern), leaf = (pattern as NSString).lastPathComponent
        guard !folder.contains("*") else {
            throw InputError("\(include.keyword): a template in the directory part of '\(include.file)' is not supported",
                             at: include.location, hint: "template only the file name, e.g. tasks/setup-{{ ansible_os_family }}.yml")
        }
        var files: [String] = []
        var seen = Set<String>()
        for base in [directory, roles.baseDirectory] where seen.insert(base).inserted {
            let dir = URL(fileURLWithPath: base).appendingPathComponent(folder).path
            let matches = TemplatedFileName.files(matching: leaf, in: dir)
            if !matches.isEmpty { files = matches.map { folder.isEmpty ? $0 : folder + "/" + $0 }; break }
        }
        guard !files.isEmpty else {
            throw InputError("\(include.keyword): no file matches '\(include.file)' (read as \(pattern))", at: include.location,
                             hint: "looked in \(Array(seen).sorted().joined(separator: ", "))")
        }
        var result: [PlaybookTask] = []
        for file in files {
            var literal = include
            literal.file = file
            literal.when = include.when + ["\(name) == \(Self.jinjaString(file))"]
            result += try includedTasks(literal, handlers: handlers, roles: roles, directory: directory)
        }
        let choices = "[" + files.map(Self.jinjaString).joined(separator: ", ") + "]"
        result.append(PlaybookTask(
            name: "\(include.keyword): \(include.file)", module: "fail",
            arguments: ["msg": .string("\(include.keyword): this host's file is '{{ \(name) }}', which is none of \(files.joined(separator: ", "))")],
            when: include.when + ["\(name) not in \(choices)"], tags: include.tags, location: include.location))
        return result
    }

    /// The Jinja expression a template string stands for: `a-{{ x }}.yml` is `("a-" ~ (x) ~ ".yml")`.
    static func expression(forTemplate template: String, at location: SourceLocation, keyword: String) throws -> String {
        guard !template.contains("{%"), !template.contains("{#") else {
            throw InputError("\(keyword): only {{ … }} is supported in a file name", at: location)
        }
        var parts: [String] = []
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw InputError("\(keyword): unclosed {{ in '\(template)'", at: location)
            }
            if open.lowerBound > rest.startIndex { parts.append(jinjaString(String(rest[..<open.lowerBound]))) }
            parts.append("(" + rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces) + ")")
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(jinjaString(String(rest))) }
        return "(" + parts.joined(separator: " ~ ") + ")"
    }

    static func jinjaString(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}

