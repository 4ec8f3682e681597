import Foundation

/// What `provision run` checks before it contacts any host, so that a mistake in the
/// playbook, the inventory or `-e` is a usage error (exit 1) with file:line, not a task
/// failure or an unreachable host after connecting:
///
/// - everything `provision validate` reports (unknown parameters, wrong types, undefined
///   variables, template syntax, missing template files), with the run's own variables
///   (inventory, `-e`, secrets, playbook defaults) counting as defined;
/// - per planned host, each task whose arguments do not depend on facts or registered
///   results: its `loop` renders to a list, its module accepts the rendered arguments
///   (e.g. database and user names), and a controller-side `src` (copy, unarchive) exists.
///
/// Tasks that need facts or earlier results are left to the run, which reports them itself.
public enum RunPreflight {
    /// Unknown targets throw; every other problem is returned, in playbook order.
    public static func problems(playbook: Playbook, inventory: Inventory, targets: [String],
                                extraVariables: [String: Value], secretVariables: [String: Value],
                                tags: [String] = [], skipTags: [String] = [],
                                specs: [ModuleSpec] = ModuleRegistry.specs) throws -> [InputError] {
        // The hosts each play will run on, as `PlaybookRunner.plannedHosts` finds them.
        let limit: Set<String>? = targets.isEmpty ? nil : Set(try targets.flatMap { try inventory.resolve($0) })
        let plannedHosts = try playbook.plays.map { play in
            try inventory.resolve(play.hosts).filter { limit?.contains($0) ?? true }
        }
        var known = Set(extraVariables.keys).union(secretVariables.keys)
            .union(SecretsFile.environment.values).union(["wordpress_salts", "secrets_file"])
        for host in inventory.hosts { known.formUnion(inventory.variables(for: host.name).keys) }
        var defaults: [[String: Value]] = []
        for play in playbook.plays {
            do {
                let d = try PlaybookRunner.loadDefaults(play)
                known.formUnion(d.keys)
                defaults.append(d)
            } catch let error as InputError {
                return [error]
            } catch {
                return [InputError("\(error)", at: play.location)]
            }
        }
        let found = PlaybookValidator.validate(playbook: playbook, specs: specs, knownVariables: known)
        guard found.isEmpty else { return found }

        // Names only a host knows: facts, registered results, the engine's magic variables.
        let registered = Set(playbook.plays.flatMap { ($0.tasks + $0.handlers).compactMap(\.register) })
        let dynamic = Facts.variableNames.union(PlaybookValidator.magicVariables).union(registered)
            .subtracting(["inventory_hostname", "group_names", "omit"])
        func staticOnly(_ values: [String: Value]) -> [String: Value] { values.filter { !dynamic.contains($0.key) } }

        var errors: [InputError] = []
        var checked = Set<String>()
        for (index, play) in playbook.plays.enumerated() where index < plannedHosts.count {
            let playVars: [String: Value]
            do {
                playVars = play.vars.merging(try varsFiles(play)) { $1 }
            } catch let error as InputError {
                errors.append(error)
                continue
            } catch { continue }
            for host in plannedHosts[index] {
                var scope = VariableScope()
                scope.add(["omit": .string(omitPlaceholder)], at: VariablePrecedence(rank: 10, name: "built-ins"), templated: false)
                scope.add(staticOnly(index < defaults.count ? defaults[index] : [:]), at: VariablePrecedence(rank: 50, name: "playbook defaults"))
                scope.add(staticOnly(inventory.variables(for: host)), at: .host)
                scope.add(staticOnly(playVars), at: .play)
                scope.add(secretVariables, at: VariablePrecedence(rank: 990, name: "secrets file"), templated: false)
                scope.add(extraVariables, at: .extra)
                for task in play.tasks + play.handlers where selected(task, tags: tags, skipTags: skipTags) {
                    guard let spec = specs.first(where: { $0.name == ModuleRegistry.canonicalName(task.module) || $0.aliases.contains(ModuleRegistry.canonicalName(task.module)) })
                    else { continue }
                    if let error = check(task, spec: spec, scope: scope, baseDirectory: play.baseDirectory, dynamic: dynamic, checked: &checked),
                       !errors.contains(error) {
                        errors.append(error)
                    }
                }
            }
        }
        return errors
    }

    static let omitPlaceholder = "__omit_place_holder__provision__"

    static func selected(_ task: PlaybookTask, tags: [String], skipTags: [String]) -> Bool {
        if task.tags.contains(where: skipTags.contains) { return false }
        if tags.isEmpty || task.tags.contains("always") { return true }
        return task.tags.contains(where: tags.contains)
    }

    static func varsFiles(_ play: Play) throws -> [String: Value] {
        var vars: [String: Value] = [:]
        for file in play.varsFiles where !TemplateEngine.isTemplate(file) {
            let path = file.hasPrefix("/") ? file : play.baseDirectory + "/" + file
            guard FileManager.default.fileExists(atPath: path) else { continue }
            if case .dict(let d) = try YAMLDocument.loadValue(path: path).value { vars.merge(d) { $1 } }
        }
        return vars
    }

    /// The first problem of `task` on one host, or nil (fine, or known only at run time).
    static func check(_ task: PlaybookTask, spec: ModuleSpec, scope: VariableScope, baseDirectory: String,
                      dynamic: Set<String>, checked: inout Set<String>) -> InputError? {
        var taskScope = scope
        if !task.vars.isEmpty { taskScope.add(task.vars, at: .task) }
        var items: [Value?] = [nil]
        if let loop = task.loop {
            let at = task.keywordLocations["loop"] ?? task.keywordLocations["with_items"] ?? task.location
            let rendered: Value
            do {
                rendered = try TemplateEngine.renderValue(loop, variables: taskScope, origin: at)
            } catch {
                return definite(error, [loop], scope: taskScope, dynamic: dynamic)
            }
            guard case .list(let list) = rendered else {
                let kind = rendered.kindName
                return InputError("loop must be a list, not \("aeiou".contains(kind.prefix(1)) ? "an" : "a") \(kind)", at: at,
                                  hint: "give a YAML list, or a variable that holds one")
            }
            items = list
        }
        for item in items {
            var itemScope = taskScope
            if let item { itemScope.add([task.loopVariable: item], at: .loop, templated: false) }
            // A condition that is false, or needs a host to decide, leaves the task to the run.
            guard (try? TemplateEngine.evaluateConditions(task.when, variables: itemScope, origin: task.location)) == true else { continue }
            var values: [String: Value] = [:]
            var rendersStatically = true
            for (key, raw) in task.arguments {
                let rendered: Value
                do {
                    rendered = try TemplateEngine.renderValue(raw, variables: itemScope, origin: task.argumentLocations[key] ?? task.location)
                } catch {
                    if let problem = definite(error, [raw], scope: itemScope, dynamic: dynamic) { return problem }
                    rendersStatically = false
                    break
                }
                if case .string(let text) = rendered, text == omitPlaceholder { continue }
                values[key] = rendered
            }
            guard rendersStatically else { continue }
            let key = task.location.description + "\u{0}" + Value.dict(values).jsonText
            guard checked.insert(key).inserted else { continue }
            let arguments = ModuleArguments(module: task.module, values: values, locations: task.argumentLocations, taskLocation: task.location)
            do {
                _ = try spec.make(arguments)
            } catch let error as InputError {
                return error
            } catch {
                return InputError("\(task.module): \(error)", at: task.location)
            }
            if let error = checkLocalSource(spec.name, arguments, baseDirectory: baseDirectory) { return error }
        }
        return nil
    }

    /// A rendering error that the run would meet too: nothing in `values` (or in the
    /// variables they read, transitively) is known only on a host. E.g. a secret that
    /// neither the secrets file nor the environment provides.
    static func definite(_ error: Error, _ values: [Value], scope: VariableScope, dynamic: Set<String>) -> InputError? {
        guard var problem = error as? InputError else { return nil }
        var seen = Set<String>()
        func readsDynamic(_ value: Value) -> Bool {
            switch value {
            case .string(let text) where TemplateEngine.isTemplate(text):
                guard let refs = try? TemplateEngine.references(inTemplate: text) else { return false }
                for name in Set(refs.references.map(\.name)) {
                    if dynamic.contains(name) { return true }
                    if seen.insert(name).inserted, let raw = scope.rawValue(name), readsDynamic(raw) { return true }
                }
                return false
            case .list(let items): return items.contains(where: readsDynamic)
            case .dict(let d): return d.values.contains(where: readsDynamic)
            default: return false
            }
        }
        guard !values.contains(where: readsDynamic) else { return nil }
        if problem.hint == nil, let name = SecretsFile.environment.first(where: { problem.message == "undefined variable '\($0.value)'" }) {
            problem.hint = "a secret: put \(name.value) in the secrets file (provision secrets init) or set \(name.key)"
        }
        return problem
    }

    /// `copy`/`unarchive` `src` on the controller: as given, then under `files/` beside the
    /// playbook (where `CopyModule.findLocal` looks at run time).
    static func checkLocalSource(_ module: String, _ arguments: ModuleArguments, baseDirectory: String) -> InputError? {
        guard module == "copy" || module == "unarchive",
              let src = try? arguments.string("src"), !src.isEmpty,
              !src.hasPrefix("http://"), !src.hasPrefix("https://"),
              (try? arguments.bool("remote_src", default: false)) != true
        else { return nil }
        func local(_ path: String) -> String {
            if path.hasPrefix("/") { return path }
            if path.hasPrefix("~/") { return NSString(string: path).expandingTildeInPath }
            return URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).standardizedFileURL.path
        }
        let candidates = src.hasPrefix("/") ? [src] : [local(src), local("files/" + src)]
        guard !candidates.contains(where: { FileManager.default.fileExists(atPath: $0) }) else { return nil }
        return InputError("\(module): src '\(src)' not found on the controller", at: arguments.locations["src"] ?? arguments.taskLocation,
                          hint: "tried \(candidates.joined(separator: ", "))")
    }
}
