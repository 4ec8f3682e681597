import Foundation
import ProvisionCore

/// `file`: a path's kind (file, directory, link, absent, touch) and its owner, group and mode,
/// with `recurse` for a directory tree. The probe is one `stat` of the path, plus for
/// `recurse` one `find … -print -quit` that stops at the first entry that differs, so a
/// converged web root costs the same as a single file.
public struct FileModule: Module {
    public typealias Plan = String  // one shell script

    public static let spec = ModuleSpec(
        name: "file", summary: "A path's kind (file, directory, link, absent, touch), owner, group and mode.",
        parameters: [
            ParameterSpec("path", required: true, aliases: ["dest", "name"]),
            ParameterSpec("state", choices: State.allCases.map(\.rawValue)),
            ParameterSpec("recurse", .bool, default: false),
            ParameterSpec("src"),
            ParameterSpec("force", .bool, default: false),
            ParameterSpec("follow", .bool, default: true),
        ] + WantedAttributes.parameters,
        make: { try FileModule($0) })

    enum State: String, CaseIterable, Sendable { case file, directory, link, absent, touch }

    let path: String
    let state: State
    let attributes: WantedAttributes
    let recurse: Bool
    let src: String?
    let force: Bool
    let follow: Bool

    init(_ args: ModuleArguments) throws {
        guard let p = try args.string("path"), !p.isEmpty else {
            throw args.error("path", "is required")
        }
        path = p.count > 1 && p.hasSuffix("/") ? String(p.dropLast()) : p
        recurse = try args.bool("recurse")
        src = try args.string("src")
        let defaultState = recurse ? "directory" : (src != nil ? "link" : "file")
        state = State(rawValue: try args.choice("state", default: defaultState))!
        attributes = try WantedAttributes.parse(args)
        force = try args.bool("force")
        follow = try args.bool("follow")
        if recurse && state != .directory { throw args.error("recurse", "needs state: directory") }
        if state == .absent && (path == "/" || path.allSatisfy({ $0 == "/" || $0 == "." })) {
            throw args.error("path", "'\(path)' cannot be removed")
        }
        if state == .link && (src ?? "").isEmpty { throw args.error("src", "is required with state: link") }
        if recurse, let mode = attributes.mode { _ = try mode.findMismatchPredicate() }
    }

    var q: String { Shell.quote(path) }

    /// Where a relative link `src` points, seen from the link's directory.
    var linkSourceOnHost: String? {
        guard let src else { return nil }
        if src.hasPrefix("/") { return src }
        return (PathText.directory(of: path) as NSString).appendingPathComponent(src)
    }

    public func probe(_ context: TaskContext) throws -> String? {
        var script = RemoteFile.probe(path, follow: state != .link && follow)
        if state == .link, let source = linkSourceOnHost {
            script += "\nif [ -e \(Shell.quote(source)) ]; then echo src=exists; fi"
        }
        if recurse, let predicate = try recursePredicate() {
            script += "\nif [ -d \(q) ]; then x=$(find \(q) \(predicate) -print -quit 2>/dev/null); s=$?; "
                + "if [ -n \"$x\" ] || [ \"$s\" -ne 0 ]; then echo recurse=differs; fi; fi"
        }
        return script
    }

    /// True for an entry under the tree whose owner, group or mode differs.
    func recursePredicate() throws -> String? {
        var parts: [String] = []
        if let owner = attributes.owner { parts.append("! -user \(Shell.quote(owner))") }
        if let group = attributes.group { parts.append("! -group \(Shell.quote(group))") }
        if let mode = attributes.mode { parts.append(try mode.findMismatchPredicate()) }
        return parts.isEmpty ? nil : "\\( " + parts.joined(separator: " -o ") + " \\)"
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan> {
        let output = probe?.output ?? ""
        let file = try RemoteFile.parse(output, path: path, follow: state != .link && follow)
        let kind = file.kind == .link && follow && state != .link && file.followedKind != .absent ? file.followedKind : file.kind
        func stateDiff(_ before: String, _ after: String) -> FileDiff? {
            context.diffMode ? FileDiff(path: path, before: "path: \(path)\nstate: \(before)\n", after: "path: \(path)\nstate: \(after)\n") : nil
        }

        switch state {
        case .absent:
            guard file.exists else { return .ok("\(path) is absent") }
            return .change(summary: "remove \(path)", diff: stateDiff(file.kind.rawValue, "absent"), plan: "rm -rf -- \(q)")

        case .directory:
            if file.kind == .absent {
                let mode = attributes.mode?.resolve(current: 0o755, isDirectory: true)
                var script = "mkdir -p -- \(q)"
                let fix = WantedAttributes.fixCommand(path: path, chown: attributes.chownSpec, mode: mode)
                if !fix.isEmpty { script += " && " + fix }
                return .change(summary: "create directory \(path)", diff: stateDiff("absent", "directory"), plan: script)
            }
            guard kind == .directory else { throw ModuleError("\(path) exists and is a \(kindName(kind)), not a directory") }
            return try attributeDecision(file, isDirectory: true, recurseDiffers: output.contains("recurse=differs"), context)

        case .file:
            guard file.exists, kind != .absent else { throw ModuleError("file \(path) is absent, cannot continue (use state: touch to create it)") }
            guard kind == .file else { throw ModuleError("\(path) is a \(kindName(kind)), not a file, cannot continue") }
            return try attributeDecision(file, isDirectory: false, recurseDiffers: false, context)

        case .touch:
            // Touch changes the times of the path, so it always changes something (as in Ansible).
            let mode = file.exists ? nil : (attributes.mode?.resolve(current: 0o644, isDirectory: false))
            var script = "touch -- \(q)"
            var wantedMode = mode
            var chown = file.exists ? nil : attributes.chownSpec
            if file.exists {
                let (_, m) = attributes.differences(from: file, isDirectory: kind == .directory)
                wantedMode = m
                if !file.ownerMatches(attributes.owner) || !file.groupMatches(attributes.group) { chown = attributes.chownSpec }
            }
            let fix = WantedAttributes.fixCommand(path: path, chown: chown, mode: wantedMode)
            if !fix.isEmpty { script += " && " + fix }
            return .change(summary: file.exists ? "touch \(path)" : "create empty file \(path)",
                           diff: stateDiff(file.exists ? kind.rawValue : "absent", file.exists ? kind.rawValue : "file"), plan: script)

        case .link:
            return try linkDecision(file, output: output, context)
        }
    }

    func kindName(_ kind: RemoteFile.Kind) -> String {
        switch kind {
        case .file: return "file"
        case .directory: return "directory"
        case .link: return "symbolic link"
        case .other: return "special file"
        case .absent: return "missing path"
        }
    }

    func attributeDecision(_ file: RemoteFile, isDirectory: Bool, recurseDiffers: Bool, _ context: TaskContext) throws -> Decision<Plan> {
        var (changes, mode) = attributes.differences(from: file, isDirectory: isDirectory)
        let chown = (!file.ownerMatches(attributes.owner) || !file.groupMatches(attributes.group)) ? attributes.chownSpec : nil
        var script = WantedAttributes.fixCommand(path: path, chown: chown, mode: mode)
        if recurseDiffers {
            changes.append("entries under it: " + [attributes.owner.map { "owner \($0)" }, attributes.group.map { "group \($0)" },
                                                   attributes.mode.map { "mode \($0)" }].compactMap { $0 }.joined(separator: ", "))
            let recursive = WantedAttributes.fixCommand(path: path, chown: attributes.chownSpec, mode: nil, recurse: true,
                                                        symbolicMode: attributes.mode?.chmodArgument)
            script = script.isEmpty ? recursive : script + " && " + recursive
            mode = mode ?? file.mode
        }
        guard !changes.isEmpty else { return .ok(nil) }
        var diff: FileDiff?
        if context.diffMode {
            diff = FileDiff(path: path,
                            before: "owner: \(file.user ?? "?")\ngroup: \(file.group ?? "?")\nmode: \(file.mode.map(FileMode.format) ?? "?")\n"
                                + (recurseDiffers ? "recurse: some entries differ\n" : ""),
                            after: "owner: \(attributes.owner ?? file.user ?? "?")\ngroup: \(attributes.group ?? file.group ?? "?")\nmode: \((mode ?? file.mode).map(FileMode.format) ?? "?")\n"
                                + (recurseDiffers ? "recurse: all entries match\n" : ""))
        }
        return .change(summary: "\(path): " + changes.joined(separator: ", "), diff: diff, plan: script)
    }

    func linkDecision(_ file: RemoteFile, output: String, _ context: TaskContext) throws -> Decision<Plan> {
        let src = self.src!
        let lchown = attributes.chownSpec.map { "chown -h \(Shell.quote($0)) -- \(q)" }
        if file.kind == .link, file.linkTarget == src {
            guard !file.ownerMatches(attributes.owner) || !file.groupMatches(attributes.group), let lchown else {
                return .ok("\(path) -> \(src)")
            }
            return .change(summary: "\(path): owner/group of the link", plan: lchown)
        }
        // In check mode an earlier task may be about to create src: predict, don't fail.
        if !output.contains("src=exists") && !force && !context.checkMode {
            throw ModuleError("src \(src) of link \(path) does not exist; use force: yes to create a dangling link")
        }
        switch file.kind {
        case .file where !force, .other where !force:
            throw ModuleError("refusing to replace the \(kindName(file.kind)) \(path) with a symbolic link (use force: yes)")
        case .directory:
            throw ModuleError("refusing to replace the directory \(path) with a symbolic link")
        default: break
        }
        // A new link beside the path, then renamed over it: never a moment without the path.
        let dir = PathText.directory(of: path)
        let tmp = Shell.quote((dir.isEmpty ? "." : dir) + "/.provision-link-" + String(UInt64.random(in: 0...UInt64.max), radix: 16))
        var script = "ln -s -- \(Shell.quote(src)) \(tmp) && mv -fT -- \(tmp) \(q) || { rm -f -- \(tmp); exit 1; }"
        if let lchown { script += "\n" + lchown }
        let before = file.kind == .link ? "link -> \(file.linkTarget ?? "?")" : file.kind.rawValue
        let diff = context.diffMode ? FileDiff(path: path, before: "path: \(path)\nstate: \(before)\n", after: "path: \(path)\nstate: link -> \(src)\n") : nil
        return .change(summary: file.exists ? "\(path): \(before) -> link to \(src)" : "link \(path) -> \(src)", diff: diff, plan: script)
    }

    public func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        try context.run(plan, what: "file \(path) (\(state.rawValue))")
        return TaskOutcome(changed: true, registered: ["path": .string(path), "state": .string(state.rawValue)])
    }
}
