import Foundation
import Modules
import Playbook
import ProvisionCore

/// `run_once:`: the first host of the batch to reach the task runs it (`RunOnceResults`);
/// the others take its result without running anything or reporting a line of their own,
/// as in Ansible: its registered value, its notifications, and its failure.
extension HostPlayRunner {
    func executeOnce(_ task: PlaybookTask, index: Int) -> Bool {
        switch shared.runOnce.claim(index, host: host) {
        case .run:
            let changedState = execute(task, index: index)
            let value = task.register.flatMap { registered[$0] }
            shared.runOnce.publish(index, RunOnceResults.Result(
                owner: host, registered: value, changed: value?["changed"]?.isTruthy ?? changedState && !lastTaskFailed,
                failed: lastTaskFailed))
            return changedState
        case .ran(let result):
            if let register = task.register, let value = result.registered { registered[register] = value }
            if result.failed {
                fail(task, error: ModuleError("run_once: the task failed on \(result.owner)"), started: Date())
                return true
            }
            if result.changed { notified.formUnion(task.notify) }
            return result.changed
        case .interrupted:
            return false
        }
    }
}
