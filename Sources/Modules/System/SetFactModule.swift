import Foundation
import ProvisionCore

/// `set_fact`: host variables from the task's keys (values already templated), ranked with
/// registered results as in Ansible; later tasks of the play see them. `cacheable` is
/// accepted (there is no fact cache to write). Never changes anything, also in check mode.
public struct SetFactModule: Module {
    public static let spec = ModuleSpec(
        name: "set_fact", summary: "Host variables from the task's keys, for the tasks after it.",
        parameters: [ParameterSpec("cacheable", .bool, default: false)],
        setsVariablesFromKeys: true,
        make: { try SetFactModule($0) })

    public let hostVariables: [String: Value]

    init(_ args: ModuleArguments) throws {
        _ = try args.bool("cacheable")
        var variables = args.values
        for parameter in Self.spec.parameters { variables[parameter.name] = nil }
        guard !variables.isEmpty else {
            throw InputError("set_fact: give at least one variable, e.g. 'set_fact: {site_url: \"https://…\"}'", at: args.taskLocation)
        }
        hostVariables = variables
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Void> {
        .ok(hostVariables.keys.sorted().joined(separator: ", "))
    }

    public func apply(_ plan: Void, _ context: TaskContext) throws -> TaskOutcome { TaskOutcome(changed: false) }
}
