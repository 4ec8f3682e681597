import Foundation
import ProvisionCore

/// `template`: renders `src` on the controller with the task's variables, then manages
/// `dest` exactly as `copy` does with content (digest compare, atomic write, `validate`,
/// owner/group/mode). Secrets rendered into the file are masked in `--diff`, also where
/// the old file held a previous value.
public struct TemplateModule: Module {
    public typealias Plan = ManagedFile.Plan

    public static let spec = ModuleSpec(
        name: "template",
        parameters: [
            ParameterSpec("src", required: true),
            ParameterSpec("dest", required: true),
            ParameterSpec("force", .bool, default: true),
        ] + ManagedFile.parameters,
        controllerFile: ControllerFileParameter("src", kind: .template),
        make: { try TemplateModule($0) })

    let src: String
    let force: Bool
    let file: ManagedFile

    init(_ args: ModuleArguments) throws {
        src = try args.requiredString("src")
        let dest = try args.requiredString("dest")
        if dest.hasSuffix("/") { throw args.error("dest", "must be a file path, not a directory") }
        force = try args.bool("force")
        file = try ManagedFile(path: dest, reading: args)
    }

    /// `src` on the controller (`ControllerFiles`: the role's templates/, then beside the playbook).
    static func find(_ src: String, _ context: TaskContext) throws -> String {
        let found = context.controllerFile(src, kind: .template)
        guard let path = found.path, FileManager.default.isReadableFile(atPath: path) else {
            throw ModuleError("template '\(src)' not found (tried \(found.tried.joined(separator: ", ")))")
        }
        return path
    }

    public func probe(_ context: TaskContext) throws -> String? { file.probe() }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan> {
        let remote = try RemoteFile.parse(probe?.output ?? "", path: file.path)
        if !force, remote.exists { return .ok("\(file.path) exists (force: no)") }
        let path = try Self.find(src, context)
        let source: String
        do {
            source = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ModuleError("cannot read template \(path): \(error.localizedDescription)")
        }
        let rendered = try context.renderTemplate(source, path)
        var managed = file
        managed.maskedVariables = context.variables
        return try managed.decide(remote, content: .data(Data(rendered.text.utf8)), context: context)
    }

    public func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        try file.apply(plan, context)
    }
}
