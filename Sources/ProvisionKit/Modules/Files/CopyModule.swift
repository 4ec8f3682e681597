import Foundation

/// `copy`: a file with the given `content`, or a copy of a local `src`, with owner and mode.
public struct CopyModule: Module {
    public static let spec = ModuleSpec(
        name: "copy",
        parameters: [
            ParameterSpec("dest", required: true),
            ParameterSpec("content"),
            ParameterSpec("src"),
            ParameterSpec("validate"),
        ] + WantedAttributes.parameters,
        requiredOneOf: [["content", "src"]],
        make: { try CopyModule($0) })

    let file: ManagedFile
    let content: Data
    let sensitive: Bool

    init(_ args: ModuleArguments) throws {
        let dest = try args.requiredString("dest")
        file = ManagedFile(path: dest, attributes: try WantedAttributes(args), validate: try args.string("validate"))
        if args.has("content") {
            content = Data((try args.string("content") ?? "").utf8)
            sensitive = args.values["content"]?.containsSecret ?? false
        } else {
            // Resolved against the playbook directory when the task runs (see `decide`).
            content = Data()
            sensitive = false
        }
        source = args.has("content") ? nil : try args.requiredString("src")
        if dest.hasSuffix("/") {
            throw InputError("copy: dest must name the file, not a directory ('\(dest)')", at: args.locations["dest"] ?? args.taskLocation)
        }
    }

    let source: String?

    func data(_ context: TaskContext) throws -> Data {
        guard let source else { return content }
        let path = context.localPath(source)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModuleError("copy: cannot read \(path) on the controller")
        }
        return data
    }

    public func probe(_ context: TaskContext) throws -> String? { file.probe() }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<ManagedFile.Plan> {
        try file.decide(probe, content: try data(context), context: context, sensitive: sensitive)
    }

    public func apply(_ plan: ManagedFile.Plan, _ context: TaskContext) throws -> TaskOutcome {
        try file.apply(plan, context)
    }
}

/// `template`: a Jinja template rendered on the controller, then written like `copy`.
public struct TemplateModule: Module {
    public static let spec = ModuleSpec(
        name: "template",
        parameters: [
            ParameterSpec("src", required: true),
            ParameterSpec("dest", required: true),
            ParameterSpec("validate"),
        ] + WantedAttributes.parameters,
        make: { try TemplateModule($0) })

    let file: ManagedFile
    let source: String

    init(_ args: ModuleArguments) throws {
        source = try args.requiredString("src")
        file = ManagedFile(path: try args.requiredString("dest"), attributes: try WantedAttributes(args),
                           validate: try args.string("validate"))
    }

    func render(_ context: TaskContext) throws -> (Data, sensitive: Bool) {
        guard let path = TemplateFiles.resolve(source, baseDirectory: context.baseDirectory) else {
            let tried = TemplateFiles.candidates(for: source, baseDirectory: context.baseDirectory)
            throw ModuleError("template \(source) not found (looked in \(tried.joined(separator: ", ")))")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ModuleError("template \(path) is not readable UTF-8 text")
        }
        let rendered = try context.renderTemplate(text, path)
        // Output that took in a secret is never shown in a diff.
        return (Data(rendered.text.utf8), rendered.containsSecret)
    }

    public func probe(_ context: TaskContext) throws -> String? { file.probe() }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<ManagedFile.Plan> {
        let (content, sensitive) = try render(context)
        return try file.decide(probe, content: content, context: context, sensitive: sensitive)
    }

    public func apply(_ plan: ManagedFile.Plan, _ context: TaskContext) throws -> TaskOutcome {
        try file.apply(plan, context)
    }
}
