import Foundation
import Inventory
import Modules
import Playbook
import ProvisionCore

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
    /// Every variable a task or template reads must be defined for every host it runs on:
    /// a host's own inventory variables count for that host only.
    public static func problems(playbook: Playbook, inventory: Inventory, targets: [String],
                                extraVariables: [String: Value], secretVariables: [String: Value],
                                tags: [String] = [], skipTags: [String] = [],
                                specs: [ModuleSpec] = ModuleRegistry.specs) throws -> [InputError] {
        let plannedHosts = try CommandLineTargets.plannedHosts(playPatterns: playbook.plays.map(\.hosts), targets: targets, in: inventory)
        return problems(playbook: playbook, inventory: inventory, plannedHosts: plannedHosts.map { $0.map(Optional.some) },
                        extraVariables: extraVariables, secretVariables: secretVariables, onDemand: [],
                        tags: tags, skipTags: skipTags, specs: specs)
    }

    /// `provision validate`: the run's checks, without hosts, secrets or `-e`. The names of
    /// the secrets (`SecretsFile`) count as defined where a task reads them, as a run would
    /// get them from the secrets file, the environment or make them on first use; their
    /// values are not known, and they are never offered as "did you mean". An inventory's
    /// variables count as defined (for some host), their values are not used.
    public static func validate(playbook: Playbook, inventory: Inventory = Inventory(),
                                specs: [ModuleSpec] = ModuleRegistry.specs) -> [InputError] {
        let secrets = Set(SecretsFile.environment.values).union(SecretsFile.generatedNames)
        let inventoryNames = Set(inventory.hosts.flatMap { inventory.variables(for: $0.name).keys })
        return problems(playbook: playbook, inventory: inventory, plannedHosts: playbook.plays.map { _ in [nil] },
                        extraVariables: [:], secretVariables: [:], onDemand: secrets, valuesUnknown: inventoryNames,
                        specs: specs)
    }

    /// The one pass of both. `plannedHosts`: per play, the hosts it runs on; nil stands for
    /// a host of which nothing is known (validate). `onDemand`: names defined at run time but
    /// not now (neither errors nor suggestions); `valuesUnknown`: defined, values unknown.
    static func problems(playbook: Playbook, inventory: Inventory, plannedHosts: [[String?]],
                         extraVariables: [String: Value], secretVariables: [String: Value],
                         onDemand: Set<String>, valuesUnknown: Set<String> = [],
                         tags: [String] = [], skipTags: [String] = [], specs: [ModuleSpec]) -> [InputError] {
        let defaults: [[String: Value]]
        do {
            defaults = try playbook.plays.map { try PlaybookRunner.loadDefaults($0) }
        } catch let error as InputError {
            return [error]
        } catch {
            return [InputError("\(error)")]
        }
        let base = Set(extraVariables.keys).union(secretVariables.keys).union(defaults.flatMap(\.keys))
        let found = validatePerHost(playbook, specs: specs, inventory: inventory, hosts: plannedHosts.map { $0.compactMap { $0 } },
                                    known: base, onDemand: onDemand)
        guard found.isEmpty else { return found.map(withUndefinedHint) }

        // Names only a host knows: facts, registered results, the engine's magic variables.
        let registered = Set(playbook.plays.flatMap { ($0.tasks + $0.handlers).flatMap { task in
            [task.register].compactMap { $0 } + (ModuleRegistry.spec(named: task.module, in: specs)?.variablesSet(by: task) ?? [])
        } })
        let dynamic = Facts.variableNames.union(PlaybookValidator.magicVariables).union(registered)
            .subtracting(["inventory_hostname", "group_names", "omit"])
            .union(onDemand).union(valuesUnknown)
        func staticOnly(_ values: [String: Value]) -> [String: Value] { values.filter { !dynamic.contains($0.key) } }

        var errors: [InputError] = []
        for (index, play) in playbook.plays.enumerated() where index < plannedHosts.count {
            let playVars: [String: Value]
            do {
                playVars = play.vars.merging(try play.varsFileValues(skippingTemplated: true)) { $1 }
            } catch let error as InputError {
                errors.append(error)
                continue
            } catch { continue }
            for host in plannedHosts[index] {
                var layers = HostVariableLayers()
                layers.playbookDefaults = staticOnly(index < defaults.count ? defaults[index] : [:])
                layers.inventory = host.map { staticOnly(inventory.variables(for: $0)) } ?? [:]
                layers.inventoryData = host.map { inventory.dataNames(for: $0) } ?? []
                layers.play = staticOnly(playVars)
                layers.secrets = secretVariables
                layers.extra = extraVariables
                let scope = layers.scope
                for task in play.tasks + play.handlers where task.isSelected(tags: tags, skipTags: skipTags) {
                    guard let spec = ModuleRegistry.spec(named: task.module, in: specs) else { continue }
                    if let error = check(task, of: play, spec: spec, scope: scope, dynamic: dynamic),
                       !errors.contains(error) {
                        errors.append(error)
                    }
                }
            }
        }
        return errors
    }

    /// The generated secrets (`SecretsFile.generatedNames`) the playbook reads on some host
    /// and nothing defines: the run creates them before it checks anything else.
    public static func generatedSecretsNeeded(playbook: Playbook, inventory: Inventory, targets: [String],
                                              extraVariables: [String: Value], secretVariables: [String: Value],
                                              specs: [ModuleSpec] = ModuleRegistry.specs) throws -> Set<String> {
        let plannedHosts = try CommandLineTargets.plannedHosts(playPatterns: playbook.plays.map(\.hosts), targets: targets, in: inventory)
        let defaults = (try? playbook.plays.map { try PlaybookRunner.loadDefaults($0) }) ?? []
        let base = Set(extraVariables.keys).union(secretVariables.keys).union(defaults.flatMap(\.keys))
        let undefined = validatePerHost(playbook, specs: specs, inventory: inventory, hosts: plannedHosts, known: base, onDemand: [],
                                        suggestions: false)
            .compactMap(\.undefinedVariable)
        return Set(undefined).intersection(SecretsFile.generatedNames)
    }

    /// The validator's problems as each host sees the playbook: its own variables, and the
    /// run-once tasks (the database step) only where it is the play's first host. Hosts that
    /// see the same share one pass; a problem only some hosts have names them.
    static func validatePerHost(_ playbook: Playbook, specs: [ModuleSpec], inventory: Inventory,
                                hosts plannedHosts: [[String]], known base: Set<String>, onDemand: Set<String>,
                                suggestions: Bool = true) -> [InputError] {
        var seen = Set<String>()
        let hosts = plannedHosts.flatMap { $0 }.filter { seen.insert($0).inserted }
        var classes: [(names: Set<String>, owns: [Bool], hosts: [String])] = []
        if hosts.isEmpty {
            classes = [(Set(inventory.hosts.flatMap { inventory.variables(for: $0.name).keys }), playbook.plays.map { _ in true }, [])]
        }
        // Only plays with run-once tasks look different from their first host.
        let hasRunOnce = playbook.plays.map { play in
            (play.tasks + play.handlers).contains { ModuleRegistry.spec(named: $0.module)?.runsOncePerPlay == true }
        }
        for host in hosts {
            let names = Set(inventory.variables(for: host).keys)
            let owns = plannedHosts.indices.map { !hasRunOnce[$0] || plannedHosts[$0].first == host }
            if let i = classes.firstIndex(where: { $0.names == names && $0.owns == owns }) { classes[i].hosts.append(host) } else { classes.append((names, owns, [host])) }
        }
        var problems: [(error: InputError, classes: [Int])] = []
        for (c, hostClass) in classes.enumerated() {
            var seenBy = playbook
            for (index, owns) in hostClass.owns.enumerated() where !owns {
                let runsHere = { (task: PlaybookTask) in ModuleRegistry.spec(named: task.module)?.runsOncePerPlay != true }
                seenBy.plays[index].tasks = seenBy.plays[index].tasks.filter(runsHere)
                seenBy.plays[index].handlers = seenBy.plays[index].handlers.filter(runsHere)
            }
            for error in PlaybookValidator.validate(playbook: seenBy, specs: specs, knownVariables: base.union(hostClass.names),
                                                       onDemandVariables: onDemand, suggestions: suggestions) {
                if let i = problems.firstIndex(where: { $0.error == error }) { problems[i].classes.append(c) } else { problems.append((error, [c])) }
            }
        }
        return problems.map { problem in
            // Name the hosts when others that run the same tasks do not have the problem
            // (their variables differ); a run-once task's problem is its host's alone anyway.
            let variableSpecific = classes.indices.contains { other in
                !problem.classes.contains(other) && problem.classes.contains { classes[$0].owns == classes[other].owns }
            }
            guard variableSpecific else { return problem.error }
            var error = problem.error
            let affected = problem.classes.flatMap { classes[$0].hosts }
            error.message += " on host\(affected.count == 1 ? "" : "s") \(affected.joined(separator: ", "))"
            return error
        }
    }

    /// What to do about a variable nothing defines, when no similar name explains it.
    static func withUndefinedHint(_ error: InputError) -> InputError {
        guard let name = error.undefinedVariable, error.hint == nil else { return error }
        var error = error
        if let hint = secretHint(name) {
            error.hint = hint
        } else {
            error.hint = "define it in the inventory, in group_vars/all.yml beside the playbook or with -e \(name)=…, or give a default: {{ \(name) | default(…) }}"
        }
        return error
    }

    /// How to provide a secret the environment can also give, or nil for other names.
    static func secretHint(_ name: String) -> String? {
        SecretsFile.environment.first(where: { $0.value == name }).map {
            "a secret: put \(name) in the secrets file (provision secrets init) or set \($0.key)"
        }
    }

    /// The first problem of `task` on one host, or nil (fine, or known only at run time):
    /// the run's own planner, with what only a host knows left to the run.
    static func check(_ task: PlaybookTask, of play: Play, spec: ModuleSpec, scope: VariableScope,
                      dynamic: Set<String>) -> InputError? {
        let plan: TaskPlanner.Plan
        do {
            plan = try TaskPlanner(unknowns: .leaveToRun(dynamic: dynamic)).plan(task, of: play, spec: spec, hostScope: scope)
        } catch let error as InputError {
            return error
        } catch {
            return InputError("\(task.module): \(error)", at: task.location)
        }
        guard case .items(let items) = plan else { return nil }
        for item in items.compactMap({ $0 }) {
            if let error = checkLocalSource(spec, item.arguments, task: task, baseDirectory: play.baseDirectory) { return error }
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
        if problem.hint == nil, let name = SecretsFile.environment.values.first(where: { problem.message == "undefined variable '\($0)'" }) {
            problem.hint = secretHint(name)
        }
        return problem
    }

    /// `copy`/`unarchive` `src` on the controller, where the module looks at run time
    /// (`ControllerFiles`).
    static func checkLocalSource(_ spec: ModuleSpec, _ arguments: ModuleArguments, task: PlaybookTask, baseDirectory: String) -> InputError? {
        guard let file = spec.controllerFile, file.kind == .file,
              let src = try? arguments.string(file.parameter), !src.isEmpty,
              !src.hasPrefix("http://"), !src.hasPrefix("https://"),
              (try? file.onHostWhen.map { try arguments.bool($0, default: false) }) != true
        else { return nil }
        let module = spec.name
        let candidates = ControllerFiles.candidates(src, kind: .file, baseDirectory: baseDirectory, roleDirectory: task.role?.directory)
        guard !candidates.contains(where: { FileManager.default.fileExists(atPath: $0) }) else { return nil }
        return InputError("\(module): src '\(src)' not found on the controller", at: arguments.locations[file.parameter] ?? arguments.taskLocation,
                          hint: "tried \(candidates.joined(separator: ", "))")
    }
}
