import Foundation
import Modules
import Playbook
import ProvisionCore

/// One runnable unit: a task (or one loop item of it) with its arguments templated,
/// its module made and its context set.
struct PreparedItem: @unchecked Sendable {
    // `any Module` is Sendable by protocol; the existential box is not checked as such.
    let module: any Module
    let context: TaskContext
    /// Shown after the task name for loop items.
    let label: String?
    let item: Value?
    /// The variables the item was rendered with (for `changed_when` / `failed_when`).
    let scope: VariableScope
}

/// A task ready to run on one host, or the reason it will not run.
enum PreparedTask: @unchecked Sendable {
    /// Every item was skipped by `when`.
    case skipped(String)
    case items([PreparedItem?])  // nil entry: that item was skipped by `when`
}

extension Module {
    /// Decide then apply, keeping the plan's type inside the module.
    func run(probe: ProbeResult?, context: TaskContext) throws -> (TaskOutcome, skipped: Bool) {
        var (outcome, skipped) = try decideThenApply(probe: probe, context: context)
        if !skipped {
            outcome.hostVariables.merge(hostVariables) { $1 }
            outcome.registered.merge(registered(from: probe)) { $1 }
        }
        return (outcome, skipped)
    }

    private func decideThenApply(probe: ProbeResult?, context: TaskContext) throws -> (TaskOutcome, skipped: Bool) {
        switch try decide(probe, context) {
        case .ok(let message):
            return (TaskOutcome(changed: false, message: message), false)
        case .skip(let reason):
            return (TaskOutcome(changed: false, message: reason), true)
        case .change(let summary, let diff, let plan, let assumed):
            if context.checkMode {
                var outcome = TaskOutcome(changed: true, message: summary, diff: diff)
                outcome.assumed = assumed
                return (outcome, false)
            }
            var outcome = try apply(plan, context)
            if outcome.message == nil { outcome.message = summary }
            if outcome.diff == nil { outcome.diff = diff }
            return (outcome, false)
        }
    }
}
