import Foundation
import ProvisionCore

/// `run_once:` tasks of one play batch. The first host to reach such a task runs it; the
/// others wait for its result and take it as their own: the registered variable, the
/// handlers it notified, a failure (Ansible copies a run_once result to every host of the
/// batch). Hosts run their tasks independently, so "first" is the first to arrive, which is
/// also the one host that cannot be waiting for another.
final class RunOnceResults: @unchecked Sendable {
    // @unchecked Sendable: `owners` and `results` are guarded by `condition`.

    /// The task's index in the play's tasks (handlers cannot be run_once: the loader says so).
    typealias Key = Int

    /// What the host that ran the task hands the others.
    struct Result: Sendable {
        var owner: String
        /// The task's `register:` value (nil without `register` or when it never got one).
        var registered: Value?
        var changed: Bool
        /// Failed and not ignored: every host of the batch fails with it.
        var failed: Bool
    }

    enum Claim {
        /// This host runs the task, then calls `publish`.
        case run
        /// Another host ran it.
        case ran(Result)
        /// The run was interrupted while waiting.
        case interrupted
    }

    private let condition = NSCondition()
    private var owners: [Key: String] = [:]
    private var results: [Key: Result] = [:]

    /// Claims the task for `host`, or waits until its owner has published the result.
    func claim(_ key: Key, host: String, interrupted: () -> Bool = { Interruption.shared.requested }) -> Claim {
        condition.lock()
        defer { condition.unlock() }
        guard let owner = owners[key], owner != host else {
            owners[key] = host
            return .run
        }
        while results[key] == nil {
            if interrupted() { return .interrupted }
            _ = condition.wait(until: Date().addingTimeInterval(0.2))
        }
        return .ran(results[key]!)
    }

    func publish(_ key: Key, _ result: Result) {
        condition.lock()
        results[key] = result
        condition.broadcast()
        condition.unlock()
    }
}
