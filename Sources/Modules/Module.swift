import Foundation
import ProvisionCore

/// What a probe snippet printed on the host.
public struct ProbeResult: Sendable, Equatable {
    public var output: String
    public var exitStatus: Int32
    public init(output: String, exitStatus: Int32) {
        self.output = output
        self.exitStatus = exitStatus
    }

    public var lines: [Substring] { output.split(separator: "\n", omittingEmptySubsequences: false) }
}

/// A file change for `--diff`: secrets are masked before it is printed.
public struct FileDiff: Sendable, Equatable {
    public var path: String
    public var before: String?
    public var after: String?
    public init(path: String, before: String?, after: String?) {
        self.path = path
        self.before = before
        self.after = after
    }
}

/// The verdict of comparing wanted state with probed state.
public enum Decision<Plan: Sendable>: Sendable {
    /// Already right; the message says what was checked when useful.
    case ok(String? = nil)
    /// Something differs: `summary` says what will change; `plan` carries what `apply` needs.
    /// `assumed`: the module cannot look, but applying always reports a change (a command
    /// without `creates`/`removes`), so check mode counts it as one and says so.
    case change(summary: String, diff: FileDiff? = nil, plan: Plan, assumed: Bool = false)
    /// Not applicable here (e.g. a condition in the module's own terms).
    case skip(String)
}

/// What running a task produced: registered under `register:` and reported.
public struct TaskOutcome: Sendable {
    public var changed: Bool
    public var message: String?
    public var diff: FileDiff?
    /// Extra values for `register:` (rc, stdout, stderr …).
    public var registered: [String: Value]
    /// A change check mode predicts without being able to look (see `Decision.change`).
    public var assumed = false
    /// Host variables the task sets (`set_fact`), at the rank of registered results.
    public var hostVariables: [String: Value] = [:]

    public init(changed: Bool, message: String? = nil, diff: FileDiff? = nil, registered: [String: Value] = [:]) {
        self.changed = changed
        self.message = message
        self.diff = diff
        self.registered = registered
    }
}

/// A module: probe state -> decide (ok / change) -> apply.
///
/// `probe` returns a read-only shell snippet; the engine batches the snippets of many
/// tasks into one remote script, so a no-op run costs one round trip. `decide` runs on
/// the controller; `apply` changes the host and is never called in check mode.
public protocol Module: Sendable {
    associatedtype Plan: Sendable = Void

    /// A read-only shell snippet whose output `decide` reads; nil when nothing needs probing.
    func probe(_ context: TaskContext) throws -> String?
    func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan>
    func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome
    /// Host variables the task sets whether or not it changes anything (also in check mode).
    var hostVariables: [String: Value] { get }
    /// What the task registers from its probe whether or not it changes anything (`stat`).
    func registered(from probe: ProbeResult?) -> [String: Value]
    /// What the engine does once this task has run (`meta: flush_handlers`).
    var playControl: PlayControl? { get }
}

extension Module {
    public func probe(_ context: TaskContext) throws -> String? { nil }
    public var hostVariables: [String: Value] { [:] }
    public func registered(from probe: ProbeResult?) -> [String: Value] { [:] }
    public var playControl: PlayControl? { nil }
}
