import Foundation
import ProvisionCore

/// `meta`: asks the engine for something between tasks. `flush_handlers` runs the handlers
/// notified so far, here instead of at the end of the play (a role that restarts a service
/// before it checks it needs this); `noop` does nothing. Ansible's other actions (end_play,
/// end_host, clear_facts, refresh_inventory, …) are refused at load with the list.
public struct MetaModule: Module {
    public static let spec = ModuleSpec(
        name: "meta", summary: "Engine actions between tasks: flush_handlers (run notified handlers now), noop.",
        parameters: [ParameterSpec("free_form", required: true, choices: PlayControl.allCases.map(\.rawValue) + ["noop"],
                                   aliases: ["_raw_params"])],
        freeFormParameter: "free_form",
        make: { try MetaModule($0) })

    public let playControl: PlayControl?

    init(_ args: ModuleArguments) throws {
        playControl = PlayControl(rawValue: try args.choice("free_form"))
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Void> {
        .ok(playControl.map { "\($0.rawValue): done after this task" })
    }

    public func apply(_ plan: Void, _ context: TaskContext) throws -> TaskOutcome { TaskOutcome(changed: false) }
}

/// What a task may ask the engine to do once it has run.
public enum PlayControl: String, CaseIterable, Sendable {
    /// Run the handlers notified so far, now; they may be notified (and run) again later.
    case flushHandlers = "flush_handlers"
}
