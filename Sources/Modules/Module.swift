import Foundation
import ProvisionCore

/// A module parameter as `provision validate` and argument checking see it.
public struct ParameterSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        case string, bool, int, list, dict, any
        /// A file mode: octal string `'0644'` or `'u=rw,g=r'`, or an int written in octal.
        case mode
    }

    public var name: String
    public var kind: Kind
    public var required: Bool
    public var choices: [String]?
    public var aliases: [String]

    public init(_ name: String, _ kind: Kind = .string, required: Bool = false, choices: [String]? = nil, aliases: [String] = []) {
        self.name = name
        self.kind = kind
        self.required = required
        self.choices = choices
        self.aliases = aliases
    }
}

/// How a module is known to playbooks: its names, its parameters, and how to make one.
public struct ModuleSpec: Sendable {
    public var name: String
    /// Other names the same module answers to (e.g. `yum`, `dnf`, `apt` for `package`).
    public var aliases: [String]
    public var parameters: [ParameterSpec]
    /// Mutually required parameter groups: at least one of each group must be given.
    public var requiredOneOf: [[String]]
    /// Modules that act on a shared resource (the database) once per play, not per host.
    public var runsOncePerPlay: Bool
    public var make: @Sendable (ModuleArguments) throws -> any Module

    public init(
        name: String, aliases: [String] = [], parameters: [ParameterSpec], requiredOneOf: [[String]] = [],
        runsOncePerPlay: Bool = false, make: @escaping @Sendable (ModuleArguments) throws -> any Module
    ) {
        self.name = name
        self.aliases = aliases
        self.parameters = parameters
        self.requiredOneOf = requiredOneOf
        self.runsOncePerPlay = runsOncePerPlay
        self.make = make
    }

    public func parameter(named name: String) -> ParameterSpec? {
        parameters.first { $0.name == name || $0.aliases.contains(name) }
    }
}

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
}

extension Module {
    public func probe(_ context: TaskContext) throws -> String? { nil }
}
