import Foundation
import Modules
import Playbook
import ProvisionCore

/// The one place where a task becomes, for one host, what would run: the task's variables
/// layered on the host's (`VariableScope.forTask`), its loop rendered (first_found
/// resolved), each item's `when` decided, its arguments rendered (`default(omit)` left out),
/// its environment rendered and its module made from the arguments.
///
/// The run prepares every task with it (`HostPlayRunner.prepare`); the preflight plans the
/// same tasks with it before any host is contacted (`RunPreflight.check`). They differ in one
/// thing only, `unknowns`: the run knows everything and fails the task on any error; the
/// preflight knows no facts or registered results, so a template that fails only because it
/// reads one of those is left to the run (that item is not planned), and every other error
/// is reported now.
struct TaskPlanner {
    enum Unknowns {
        /// Every error is the task's failure (the run).
        case fail
        /// Errors that depend on these names are left to the run (the preflight).
        case leaveToRun(dynamic: Set<String>)
    }

    /// One item of the task (the task itself when it has no loop), ready to run.
    struct Item {
        let module: any Module
        let arguments: ModuleArguments
        /// The loop item, or nil for a task without a loop.
        let item: Value?
        /// The variables the item was rendered with (`changed_when`, `failed_when`, templates).
        let scope: VariableScope
        /// The task's `environment`, rendered, in name order.
        let environment: [(name: String, value: String)]
    }

    enum Plan {
        /// Nothing of the task runs, and why (every item's `when` false, first_found skip).
        /// In the preflight also: no item could be decided before the run.
        case skipped(String)
        /// Per item: ready, or nil where its `when` is false (or, in the preflight, not
        /// decidable yet).
        case items([Item?])
    }

    let unknowns: Unknowns
    /// Sees an item's rendered arguments and environment before its module is made, so the
    /// run's redactor knows a secret by name before any error can show it.
    var rendered: (([String: Value]) -> Void)? = nil

    /// The plan of `task` on the host whose variables are `hostScope`.
    func plan(_ task: PlaybookTask, of play: Play, spec: ModuleSpec, hostScope: VariableScope) throws -> Plan {
        let taskScope = hostScope.forTask(task, of: play)
        var items: [Value?] = [nil]
        if let loop = task.loop {
            let at = task.keywordLocations["loop"] ?? task.keywordLocations["with_items"] ?? task.keywordLocations["with_first_found"]
                ?? task.location
            let renderedLoop: Value
            do {
                renderedLoop = try TemplateEngine.renderValue(loop, variables: taskScope, origin: at)
            } catch {
                try leaveToRun(error, reading: [loop], scope: taskScope)
                return .items([nil])
            }
            guard case .list(let list) = renderedLoop else {
                let kind = renderedLoop.kindName
                throw InputError("loop must be a list, not \("aeiou".contains(kind.prefix(1)) ? "an" : "a") \(kind)", at: at,
                                 hint: "give a YAML list, or a variable that holds one")
            }
            items = try task.firstFound?.items(list, roleDirectory: task.role?.directory, baseDirectory: play.baseDirectory, at: at) ?? list
            if items.isEmpty && task.firstFound != nil { return .skipped("with_first_found: no file found (skip: true)") }
        }
        var planned: [Item?] = []
        for item in items {
            var itemScope = taskScope
            if let item { itemScope.add([task.loopVariable: item], at: .loop, templated: false) }
            planned.append(try planItem(task, of: play, spec: spec, item: item, scope: itemScope))
        }
        if planned.allSatisfy({ $0 == nil }) {
            return .skipped("conditional result was false")
        }
        return .items(planned)
    }

    private func planItem(_ task: PlaybookTask, of play: Play, spec: ModuleSpec, item: Value?, scope: VariableScope) throws -> Item? {
        do {
            guard try TemplateEngine.evaluateConditions(task.when, variables: scope, origin: task.location) else { return nil }
        } catch {
            // The preflight leaves every undecidable condition to the run.
            guard case .leaveToRun = unknowns else { throw error }
            return nil
        }
        var values: [String: Value] = [:]
        for (key, raw) in task.arguments {
            let rendered: Value
            do {
                rendered = try TemplateEngine.renderValue(raw, variables: scope, origin: task.argumentLocations[key] ?? task.location)
            } catch {
                try leaveToRun(error, reading: [raw], scope: scope)
                return nil
            }
            // `default(omit)`: the parameter is left out, as in Ansible.
            if case .string(let text) = rendered, text == TemplateEngine.omitPlaceholder { continue }
            values[key] = rendered
        }
        var environment: [(name: String, value: String)] = []
        if !task.environment.isEmpty {
            let raw = Value.dict(task.environment)
            do {
                let rendered = try TemplateEngine.renderValue(raw, variables: scope, origin: task.keywordLocations["environment"] ?? task.location)
                let variables = rendered.dictValue ?? [:]
                environment = variables.keys.sorted().map { ($0, variables[$0]!.text) }
            } catch {
                try leaveToRun(error, reading: [raw], scope: scope)
                return nil
            }
        }
        rendered?(values.merging(environment.map { ($0.name, Value.string($0.value)) }) { $1 })
        var arguments = ModuleArguments(module: task.module, values: values, locations: task.argumentLocations, taskLocation: task.location)
        arguments.baseDirectory = play.baseDirectory
        arguments.roleDirectory = task.role?.directory
        return Item(module: try spec.make(arguments), arguments: arguments, item: item, scope: scope, environment: environment)
    }

    /// Returns when `error` is to be left to the run; throws it otherwise.
    private func leaveToRun(_ error: Error, reading values: [Value], scope: VariableScope) throws {
        guard case .leaveToRun(let dynamic) = unknowns else { throw error }
        if let definite = RunPreflight.definite(error, values, scope: scope, dynamic: dynamic) { throw definite }
    }
}
