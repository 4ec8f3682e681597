import Foundation
import Modules

/// A task's outcome on one host, as reporters show it.
public enum TaskStatus: String, Sendable {
    case ok, changed, failed, skipped, unreachable
}

public struct TaskReport: Sendable {
    public var host: String
    public var play: String
    public var task: String
    public var status: TaskStatus
    public var changed: Bool
    public var duration: TimeInterval
    /// Already redacted.
    public var message: String?
    /// Already redacted.
    public var diff: FileDiff?
    public var ignoredError: Bool
    /// Check mode counted this change without looking (`Decision.change(assumed:)`).
    public var assumed = false
    /// The module the task ran (Ansible's `action`), canonical name; nil outside a play's tasks.
    public var action: String? = nil
}

public struct HostRecap: Sendable, Equatable {
    public var ok = 0
    public var changed = 0
    public var failed = 0
    public var skipped = 0
    public var unreachable = 0
    /// Failures a block's `rescue:` took over (the failed task is not counted in `failed`).
    public var rescued = 0
    public init() {}
}

/// What the engine tells reporters, in order per host.
public enum RunEvent: Sendable {
    case playStarted(name: String, hosts: [String])
    /// A task begins on a host (for live views; the outcome follows as `.task`).
    case taskStarted(host: String, task: String)
    case task(TaskReport)
    /// A host could not be reached or authenticated; no more tasks run there.
    case hostUnreachable(host: String, message: String)
    case warning(host: String?, message: String)
    /// A rolling update's progress: batches out of and back into the load balancer, a stop.
    case rollout(message: String)
    /// `phases`: each host's time by phase (hosts never reached have none).
    case finished(recap: [(String, HostRecap)], duration: TimeInterval, phases: [String: HostPhases])
}

/// Receives events; called from host threads, so implementations must be thread-safe.
public protocol RunReporter: Sendable {
    func report(_ event: RunEvent)
}

/// Exit codes scripts rely on.
public enum ExitCode {
    public static let success: Int32 = 0
    public static let usage: Int32 = 1
    public static let taskFailed: Int32 = 2
    public static let unreachable: Int32 = 4

    public static func forRecap(_ recap: [(String, HostRecap)]) -> Int32 {
        if recap.contains(where: { $0.1.unreachable > 0 }) { return unreachable }
        if recap.contains(where: { $0.1.failed > 0 }) { return taskFailed }
        return success
    }
}
