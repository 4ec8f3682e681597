import Foundation

/// `file`: a path that is a directory, a link, absent, touched, or an existing file, with
/// owner, group and mode (also recursively for a tree, checked with one `find` that stops
/// at the first mismatch).
public struct FileModule: Module {
    public static let spec = ModuleSpec(
        name: "file",
        parameters: [
            ParameterSpec("path", required: true, aliases: ["dest", "name"]),
            ParameterSpec("state", choices: ["file", "directory", "link", "absent", "touch", "hard"]),
            ParameterSpec("src"),
            ParameterSpec("recurse", .bool),
            ParameterSpec("force", .bool),
            ParameterSpec("follow", .bool),
        ] + WantedAttributes.parameters,
        make: { try FileModule($0) })

    enum State: String { case file, directory, link, absent, touch }

    let path: String
    let state: State
    let source: String?
    let recurse: Bool
    let force: Bool
    let attributes: WantedAttributes

    init(_ args: ModuleArguments) throws {
        path = try args.requiredString("path")
        let chosen = try args.choice("state", ["file", "directory", "link", "absent", "touch", "hard"], default: args.has("src") ? "link" : "file")
        guard let state = State(rawValue: chosen) else {
            throw InputError("file: state=hard is not supported; use a link", at: args.locations["state"] ?? args.taskLocation)
        }
        self.state = state
        source = try args.string("src")
        recurse = try args.bool("recurse", default: false)
        force = try args.bool("force", default: false)
        attributes = try WantedAttributes(args)
        if state == .link && source == nil { throw InputError("file: state=link needs src", at: args.taskLocation) }
        if recurse && state != .directory { throw InputError("file: recurse goes with state=directory", at: args.taskLocation) }
        if path == "/" || path.isEmpty { throw InputError("file: refusing to manage '\(path)'", at: args.taskLocation) }
    }

    public func probe(_ context: TaskContext) throws -> String? {
        var snippet = FileState.probe(path)
        if recurse, attributes.owner != nil || attributes.group != nil || attributes.mode != nil {
            var tests: [String] = []
            if let owner = attributes.owner { tests.append("! -user \(Shell.quote(owner))") }
            if let group = attributes.group { tests.append("! -group \(Shell.quote(group))") }
            if let mode = attributes.mode { tests.append("! -perm \(String(mode, radix: 8))") }
            snippet += "\nif [ -d \(Shell.quote(path)) ]; then m=$(find \(Shell.quote(path)) \\( \(tests.joined(separator: " -o ")) \\) -print -quit 2>/dev/null); [ -n \"$m\" ] && echo mismatch=yes; fi; true"
        }
        return snippet
    }

    public struct Plan: Sendable {
        var commands: [String]
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan> {
        let current = FileState(parsing: probe?.output ?? "")
        let p = Shell.quote(path)
        var commands: [String] = []
        var summary: [String] = []
        switch state {
        case .absent:
            guard current.exists else { return .ok() }
            return .change(summary: "remove \(path)", plan: Plan(commands: ["rm -rf -- \(p)"]))
        case .touch:
            return .change(summary: current.exists ? "touch \(path)" : "create \(path)",
                           plan: Plan(commands: ["touch -- \(p)"] + attributes.commands(for: path)))
        case .file:
            guard current.exists else { throw ModuleError("\(path) does not exist (use state: touch to create it)") }
        case .directory:
            if current.kind != .directory {
                if current.exists && current.kind != .link { throw ModuleError("\(path) exists and is not a directory") }
                commands.append("mkdir -p -- \(p)")
                summary.append("create directory \(path)")
            }
        case .link:
            if current.kind != .link || current.linkTarget != source {
                if current.kind == .directory || (current.kind == .file && !force) {
                    throw ModuleError("\(path) exists and is not a link (force: true replaces a file)")
                }
                commands.append("ln -sfn -- \(Shell.quote(source!)) \(p)")
                summary.append("link \(path) -> \(source!)")
            }
        }
        let attributeChanges = current.exists ? attributes.differences(from: current) : []
        let treeMismatch = recurse && current.extra["mismatch"] == "yes"
        if !commands.isEmpty || !attributeChanges.isEmpty || treeMismatch {
            // A link's own owner is not what users mean: attributes follow to the target.
            commands += attributes.commands(for: path, recursive: recurse)
            if !attributeChanges.isEmpty { summary.append("\(path): " + attributeChanges.joined(separator: ", ")) }
            if treeMismatch && attributeChanges.isEmpty { summary.append("fix owner/mode under \(path)") }
            else if treeMismatch { summary.append("and under it") }
        }
        guard !commands.isEmpty else { return .ok() }
        return .change(summary: summary.joined(separator: "; "), plan: Plan(commands: commands))
    }

    public func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        try context.run(plan.commands.joined(separator: " && "), what: "file \(path)")
        return TaskOutcome(changed: true)
    }
}
