import Foundation
import Modules
import Playbook
import ProvisionCore

/// `changed_when`, `failed_when` and `until`: conditions on a task's result.
extension HostPlayRunner {
    /// `changed_when` then `failed_when` (Ansible's order), with the task's result under its
    /// `register` name: they decide what the task reports and registers. A module failure
    /// that `failed_when` says is none becomes a success. In check mode, a change assumed
    /// without running keeps its verdict when the conditions need the missing output.
    /// `until` on the result of one attempt (registered under the task's `register:` name);
    /// a condition that cannot be evaluated counts as not holding.
    func untilHolds(_ conditions: [String], task: PlaybookTask, item: PreparedItem, result: [String: Value]) -> Bool {
        let at = task.keywordLocations["until"] ?? task.location
        return (try? TemplateEngine.evaluateConditions(conditions, variables: resultScope(task, item: item, result: result), origin: at)) == true
    }

    /// The item's variables with this attempt's result under the task's `register:` name:
    /// what `until`, `changed_when` and `failed_when` read.
    func resultScope(_ task: PlaybookTask, item: PreparedItem, result: [String: Value]) -> VariableScope {
        var scope = item.scope
        if let register = task.register { scope.add([register: .dict(result)], at: .registered) }
        return scope
    }

    func applyResultConditions(_ task: PlaybookTask, item: PreparedItem, result: inout [String: Value],
                               outcome: inout TaskOutcome, error: inout Error?) {
        guard task.changedWhen != nil || task.failedWhen != nil else { return }
        var scope = resultScope(task, item: item, result: result)
        do {
            if let conditions = task.changedWhen {
                let at = task.keywordLocations["changed_when"] ?? task.location
                outcome.changed = try TemplateEngine.evaluateConditions(conditions, variables: scope, origin: at)
                outcome.assumed = false
                result["changed"] = .bool(outcome.changed)
                if let register = task.register { scope.set(register, .dict(result), at: .registered) }
            }
            if let conditions = task.failedWhen {
                let at = task.keywordLocations["failed_when"] ?? task.location
                let failed = try TemplateEngine.evaluateConditions(conditions, variables: scope, origin: at)
                result["failed"] = .bool(failed)
                if failed, error == nil {
                    error = ModuleError("failed_when is true: \(conditions.joined(separator: " and "))")
                    result["msg"] = .string("failed_when is true")
                } else if !failed, error != nil {
                    error = nil
                    outcome.changed = task.changedWhen == nil ? (result["changed"]?.isTruthy ?? false) : outcome.changed
                    outcome.message = result["msg"]?.text
                }
            }
        } catch let problem {
            if outcome.assumed && item.context.checkMode { return }
            error = problem
            result["failed"] = true
        }
    }
}
