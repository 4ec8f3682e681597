import Foundation
import ProvisionCore

/// `fail`: fails the host with `msg` (usually under a `when`); other hosts go on.
public struct FailModule: Module {
    public static let spec = ModuleSpec(
        name: "fail", summary: "Fails the host with a message.",
        parameters: [ParameterSpec("msg", .any, default: "Failed as requested from task")],
        make: { try FailModule($0) })

    let message: String

    init(_ args: ModuleArguments) throws {
        message = args.values["msg"]?.text ?? ""
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Void> {
        throw ModuleError(message)
    }

    public func apply(_ plan: Void, _ context: TaskContext) throws -> TaskOutcome { TaskOutcome(changed: false) }
}
