import Foundation
import Modules
import Playbook
import ProvisionCore

/// `provision validate`: every problem a playbook has, before anything connects.
public enum PlaybookValidator {
    /// Variables the engine provides on every host besides facts (`MagicVariables`).
    public static var magicVariables: Set<String> { MagicVariables.names }

    /// Loads `path` and validates it: a load error (YAML, shape) is the only error then.
    public static func validate(path: String, specs: [ModuleSpec] = ModuleRegistry.specs,
                                knownVariables: Set<String> = []) -> [InputError] {
        do {
            let playbook = try PlaybookLoader.load(path: path, specs: specs)
            return validate(playbook: playbook, specs: specs, knownVariables: knownVariables)
        } catch let error as InputError {
            return [error]
        } catch {
            return [InputError("\(error)", at: SourceLocation(file: path, line: 1))]
        }
    }

    /// All problems in `playbook`, in document order. `knownVariables`: inventory variables
    /// (and `-e` names) that will exist at run time.
    /// `onDemandVariables`: names that count as defined where read (a run provides them) but
    /// are not suggested for typos (the secrets, which only some playbooks use).
    public static func validate(playbook: Playbook, specs: [ModuleSpec] = ModuleRegistry.specs,
                                knownVariables: Set<String> = [], onDemandVariables: Set<String> = [],
                                suggestions: Bool = true) -> [InputError] {
        var v = Validation(specs: specs)
        v.onDemand = onDemandVariables
        v.suggests = suggestions
        var registeredBefore: Set<String> = []
        for play in playbook.plays {
            v.check(play, known: knownVariables.union(Facts.variableNames).union(magicVariables), registered: &registeredBefore)
        }
        var seen: [InputError] = []
        for e in v.errors where !seen.contains(e) { seen.append(e) }
        return seen
    }

    struct Validation {
        let specs: [ModuleSpec]
        var onDemand: Set<String> = []
        var errors: [InputError] = []
        var checkedTemplates: Set<String> = []
        /// False when only the problems count, not their "did you mean" (computing those is
        /// most of a preflight's cost at many hosts).
        var suggests = true

        init(specs: [ModuleSpec]) { self.specs = specs }

        func hint(for name: String, in candidates: some Sequence<String>) -> String? {
            suggests ? Suggestions.hint(for: name, in: candidates) : nil
        }

        func spec(named name: String) -> ModuleSpec? { ModuleRegistry.spec(named: name, in: specs) }

        /// What later tasks may read after `task`: its `register` name and the variables it sets (`set_fact`).
        func variablesSet(by task: PlaybookTask) -> [String] {
            [task.register].compactMap { $0 } + (spec(named: task.module)?.variablesSet(by: task) ?? [])
        }

        mutating func check(_ play: Play, known playKnown: Set<String>, registered: inout Set<String>) {
            // Every role's defaults and vars are visible to the whole play (Ansible's default).
            let baseKnown = playKnown.union(play.roles.flatMap { Array($0.defaults.keys) + Array($0.vars.keys) })
            var known = baseKnown.union(play.vars.keys)
            var checkVariables = true
            for file in play.varsFiles {
                if TemplateEngine.isTemplate(file) {
                    checkVariables = false  // which file (and so which names) is known only at run time
                    continue
                }
                let path = file.hasPrefix("/") ? file : (play.baseDirectory as NSString).appendingPathComponent(file)
                guard FileManager.default.fileExists(atPath: path) else {
                    errors.append(InputError("vars_files: file not found: '\(file)'", at: play.varsFilesLocation ?? play.location,
                                             hint: "paths are relative to the playbook's directory"))
                    continue
                }
                do {
                    let doc = try YAMLDocument.loadValue(path: path)
                    guard let entries = doc.entries else {
                        if !doc.isNull {
                            errors.append(InputError("a vars file must be a mapping of names to values, not a \(doc.kindName)", at: doc.location))
                        }
                        continue
                    }
                    for e in entries { known.insert(e.key) }
                    if checkVariables {
                        for e in entries { checkValue(e.value.value, at: e.value.location, known: baseKnown.union(play.vars.keys).union(entries.map(\.key)), checkNames: true) }
                    }
                } catch let error as InputError {
                    errors.append(error)
                } catch {
                    errors.append(InputError("\(error)", at: play.varsFilesLocation))
                }
            }
            for name in play.vars.keys.sorted(by: { (play.varLocations[$0]?.line ?? 0) < (play.varLocations[$1]?.line ?? 0) }) {
                checkValue(play.vars[name]!, at: play.varLocations[name] ?? play.location, known: known, checkNames: checkVariables)
            }
            checkValue(.string(play.hosts), at: play.location, known: known, checkNames: checkVariables)
            for role in play.roles {
                for (name, value) in role.defaults.sorted(by: { $0.key < $1.key }) {
                    checkValue(value, at: role.defaultLocations[name] ?? play.location, known: known, checkNames: checkVariables)
                }
                for (name, value) in role.vars.sorted(by: { $0.key < $1.key }) {
                    checkValue(value, at: role.varLocations[name] ?? play.location, known: known, checkNames: checkVariables)
                }
            }

            let handlerNames = play.handlers.flatMap(\.handlerNames)
            let allRegistered = registered.union((play.tasks + play.handlers).flatMap(variablesSet))
            for task in play.tasks {
                check(task, known: known.union(registered), checkNames: checkVariables, handlerNames: handlerNames, baseDirectory: play.baseDirectory)
                registered.formUnion(variablesSet(by: task))
            }
            for handler in play.handlers {
                check(handler, known: known.union(allRegistered), checkNames: checkVariables, handlerNames: handlerNames, baseDirectory: play.baseDirectory)
            }
            registered.formUnion(allRegistered)
        }

        /// Reports undefined variables and syntax errors in every template inside `value`.
        mutating func checkValue(_ value: Value, at location: SourceLocation, known: Set<String>, checkNames: Bool) {
            switch value {
            case .string(let s) where TemplateEngine.isTemplate(s):
                do {
                    let refs = try TemplateEngine.references(inTemplate: s, origin: location)
                    if checkNames { report(refs, known: known, origin: location) }
                } catch let error as InputError {
                    errors.append(error)
                } catch {}
            case .list(let items): items.forEach { checkValue($0, at: location, known: known, checkNames: checkNames) }
            case .dict(let d): d.keys.sorted().forEach { checkValue(d[$0]!, at: location, known: known, checkNames: checkNames) }
            default: break
            }
        }

        mutating func report(_ refs: TemplateReferences, known: Set<String>, origin: SourceLocation) {
            for ref in refs.unknown(given: known.union(onDemand)) {
                errors.append(InputError("undefined variable '\(ref.name)'", at: TemplateEngine.location(origin, line: ref.line),
                                         hint: hint(for: ref.name, in: known), undefinedVariable: ref.name))
            }
        }

        mutating func check(_ task: PlaybookTask, known taskKnownBase: Set<String>, checkNames: Bool,
                            handlerNames: [String], baseDirectory: String) {
            var known = taskKnownBase.union(task.vars.keys)
            if let role = task.role { known.formUnion(role.vars.keys); known.formUnion(role.params.keys); known.insert("role_path") }
            if task.loop != nil { known.formUnion([task.loopVariable, "ansible_loop"]) }

            // Collect every reference of the task first: `x is defined` in `when` guards `x` in arguments.
            var refs: [(TemplateReferences, SourceLocation)] = []
            var guarded: Set<String> = []
            func collect(_ value: Value, at location: SourceLocation, errors: inout [InputError]) {
                switch value {
                case .string(let s) where TemplateEngine.isTemplate(s):
                    do {
                        let r = try TemplateEngine.references(inTemplate: s, origin: location)
                        refs.append((r, location))
                        guarded.formUnion(r.guarded)
                    } catch let error as InputError { errors.append(error) } catch {}
                case .list(let items): items.forEach { collect($0, at: location, errors: &errors) }
                case .dict(let d): d.keys.sorted().forEach { collect(d[$0]!, at: location, errors: &errors) }
                default: break
                }
            }
            let whenLocation = task.keywordLocations["when"] ?? task.location
            for condition in task.when {
                do {
                    let r = try TemplateEngine.references(inCondition: condition, origin: whenLocation)
                    refs.append((r, whenLocation))
                    guarded.formUnion(r.guarded)
                } catch let error as InputError { errors.append(error) } catch {}
            }
            // changed_when / failed_when also see the task's own result, under its register name.
            var resultRefs: [(TemplateReferences, SourceLocation)] = []
            for (keyword, conditions) in [("changed_when", task.changedWhen), ("failed_when", task.failedWhen)] {
                let at = task.keywordLocations[keyword] ?? task.location
                for condition in conditions ?? [] {
                    do {
                        resultRefs.append((try TemplateEngine.references(inCondition: condition, origin: at), at))
                    } catch let error as InputError { errors.append(error) } catch {}
                }
            }
            if let name = task.name { collect(.string(name), at: task.keywordLocations["name"] ?? task.location, errors: &errors) }
            if let loop = task.loop {
                let at = task.keywordLocations["loop"] ?? task.keywordLocations["with_items"] ?? task.location
                if case .string(let s) = loop, !TemplateEngine.isTemplate(s) {
                    errors.append(InputError("loop must be a list or a template that gives a list, such as \"{{ \(s) }}\"", at: at))
                }
                collect(loop, at: at, errors: &errors)
            }
            for (_, value) in task.vars.sorted(by: { $0.key < $1.key }) { collect(value, at: task.location, errors: &errors) }
            for key in task.arguments.keys.sorted(by: { argOrder(task, $0, $1) }) {
                collect(task.arguments[key]!, at: task.argumentLocations[key] ?? task.location, errors: &errors)
            }
            if checkNames {
                for (r, origin) in refs {
                    var r = r
                    r.guarded.formUnion(guarded)
                    report(r, known: known, origin: origin)
                }
                let withResult = task.register.map { known.union([$0]) } ?? known
                for (r, origin) in resultRefs {
                    var r = r
                    r.guarded.formUnion(guarded)
                    report(r, known: withResult, origin: origin)
                }
            }

            for target in task.notify where !TemplateEngine.isTemplate(target) && !handlerNames.contains(target) {
                errors.append(InputError("notify: no handler named '\(target)' in this play",
                                         at: task.keywordLocations["notify"] ?? task.location,
                                         hint: hint(for: target, in: handlerNames)))
            }

            guard let spec = spec(named: task.module) else {
                let names = specs.flatMap { [$0.name] + $0.aliases }
                errors.append(InputError("unknown module '\(task.module)'", at: task.location,
                                         hint: hint(for: task.module, in: names)))
                return
            }
            checkParameters(task, spec: spec)
            if let file = spec.controllerFile, file.kind == .template, case .string(let src)? = task.arguments[file.parameter],
               !TemplateEngine.isTemplate(src) {
                checkTemplateFile(src, task: task, baseDirectory: baseDirectory, known: known.union(guarded), checkNames: checkNames)
            }
        }

        func argOrder(_ task: PlaybookTask, _ a: String, _ b: String) -> Bool {
            let la = task.argumentLocations[a], lb = task.argumentLocations[b]
            if la?.line != lb?.line { return (la?.line ?? 0) < (lb?.line ?? 0) }
            if la?.column != lb?.column { return (la?.column ?? 0) < (lb?.column ?? 0) }
            return a < b
        }

        /// The spec's checks; literal arguments that pass them are made into the module too, so
        /// its own checks (names that reach SQL, conflicting values) run now, as at run time.
        mutating func checkParameters(_ task: PlaybookTask, spec: ModuleSpec) {
            let arguments = ModuleArguments(module: task.module, values: task.arguments, locations: task.argumentLocations,
                                            taskLocation: task.location)
            let problems = spec.problems(in: arguments)
            errors.append(contentsOf: problems)
            guard problems.isEmpty, !task.arguments.values.contains(where: \.hasTemplate) else { return }
            do {
                _ = try spec.make(arguments)
            } catch let error as InputError {
                errors.append(error)
            } catch {
                errors.append(InputError("\(task.module): \(error)", at: task.location))
            }
        }

        mutating func checkTemplateFile(_ src: String, task: PlaybookTask, baseDirectory: String, known: Set<String>, checkNames: Bool) {
            let at = task.argumentLocations["src"] ?? task.location
            let candidates = ControllerFiles.candidates(src, kind: .template, baseDirectory: baseDirectory, roleDirectory: task.role?.directory)
            guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                errors.append(InputError("template: file '\(src)' not found", at: at,
                                         hint: "looked in " + candidates.joined(separator: ", ")))
                return
            }
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                errors.append(InputError("template: cannot read '\(path)' as UTF-8 text", at: at))
                return
            }
            let origin = SourceLocation(file: path, line: 1)
            do {
                let refs = try TemplateEngine.references(inTemplate: text, origin: origin)
                if checkNames { report(refs, known: known, origin: origin) }
            } catch let error as InputError {
                errors.append(error)
            } catch {}
        }
    }
}
