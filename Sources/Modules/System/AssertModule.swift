import Foundation
import Playbook
import ProvisionCore

/// `assert`: each condition of `that` (Jinja expressions, as in `when`) must hold on the
/// host; the first that does not fails the task with `fail_msg` (or `msg`).
public struct AssertModule: Module {
    public static let spec = ModuleSpec(
        name: "assert", summary: "Fails the host unless every condition of 'that' holds.",
        parameters: [
            ParameterSpec("that", .list, required: true),
            ParameterSpec("fail_msg", .any, aliases: ["msg"], default: "Assertion failed"),
            ParameterSpec("success_msg", .any, default: "All assertions passed"),
            ParameterSpec("quiet", .bool, default: false),
        ],
        make: { try AssertModule($0) })

    let conditions: [String]
    let failMessage: String
    let successMessage: String
    let quiet: Bool
    let location: SourceLocation?

    init(_ args: ModuleArguments) throws {
        // A list of conditions, or one condition (commas in it are not separators).
        if case .list(let items)? = args.values["that"] {
            conditions = items.map(\.text)
        } else {
            conditions = [try args.requiredString("that")]
        }
        if conditions.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw args.error("that", "has an empty condition")
        }
        failMessage = args.values["fail_msg"]?.text ?? ""
        successMessage = args.values["success_msg"]?.text ?? ""
        quiet = try args.bool("quiet")
        location = args.locations["that"] ?? args.taskLocation
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Void> {
        for condition in conditions where !(try TemplateEngine.evaluateCondition(condition, variables: context.variables, origin: location)) {
            throw ModuleError(failMessage, registered: ["assertion": .string(condition), "evaluated_to": false])
        }
        return .ok(quiet ? nil : successMessage)
    }

    public func apply(_ plan: Void, _ context: TaskContext) throws -> TaskOutcome { TaskOutcome(changed: false) }
}
