/// `debug`: prints a message or a variable; never changes anything.
public struct DebugModule: Module {
    public static let spec = ModuleSpec(
        name: "debug", parameters: [ParameterSpec("msg", .any), ParameterSpec("var")],
        make: { try DebugModule($0) })

    let message: String?
    let variable: String?

    init(_ args: ModuleArguments) throws {
        variable = try args.string("var")
        message = args.values["msg"]?.text
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Void> {
        if let variable {
            return .ok("\(variable) = " + (context.variables[variable]?.text ?? "(undefined)"))
        }
        return .ok(message ?? "Hello world!")
    }

    public func apply(_ plan: Void, _ context: TaskContext) throws -> TaskOutcome { TaskOutcome(changed: false) }
}
