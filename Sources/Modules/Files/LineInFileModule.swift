import Foundation
import ProvisionCore

/// `lineinfile`: one line present (replacing the last `regexp` match, else inserted) or
/// absent. The probe brings the file's bytes back (base64, so any byte survives); the new
/// content is computed on the controller by `LineEdit` and written through `ManagedFile`,
/// the same path as `copy` (atomic, validate, backup, owner/group/mode).
public struct LineInFileModule: Module {
    public typealias Plan = ManagedFile.Plan

    public static let spec = ModuleSpec(
        name: "lineinfile", summary: "One line present (replacing the last regexp match) or absent.",
        parameters: [
            ParameterSpec("path", required: true, aliases: ["dest", "destfile", "name"]),
            ParameterSpec("line", aliases: ["value"]),
            ParameterSpec("regexp", aliases: ["regex"]),
            ParameterSpec("search_string"),
            ParameterSpec("state", choices: ["present", "absent"], default: "present"),
            ParameterSpec("insertafter"),
            ParameterSpec("insertbefore"),
            ParameterSpec("create", .bool, default: false),
            ParameterSpec("backrefs", .bool, default: false),
            ParameterSpec("firstmatch", .bool, default: false),
        ] + ManagedFile.parameters,
        mutuallyExclusive: [["regexp", "search_string"], ["insertafter", "insertbefore"]],
        make: { try LineInFileModule($0) })

    let path: String
    let edit: LineEdit
    let create: Bool
    let file: ManagedFile

    init(_ args: ModuleArguments) throws {
        guard let p = try args.string("path"), !p.isEmpty else {
            throw args.error("path", "is required")
        }
        path = p
        let state = LineEdit.State(rawValue: try args.choice("state"))!
        var edit = LineEdit(line: try args.string("line"), regexp: try args.string("regexp"),
                            searchString: try args.string("search_string"), state: state,
                            insertAfter: try args.string("insertafter"), insertBefore: try args.string("insertbefore"),
                            backrefs: try args.bool("backrefs"), firstMatch: try args.bool("firstmatch"))
        if edit.regexp == "" { edit.regexp = nil }
        if state == .present && edit.line == nil { throw args.error("line", "is required with state: present") }
        if state == .absent && edit.line == nil && edit.regexp == nil && edit.searchString == nil {
            throw args.error("regexp", "or 'line' or 'search_string' is required with state: absent")
        }
        if edit.backrefs && edit.regexp == nil { throw args.error("backrefs", "needs 'regexp'") }
        for (name, pattern) in [("regexp", edit.regexp), ("insertafter", edit.insertAfter), ("insertbefore", edit.insertBefore)] {
            if let pattern, !["BOF", "EOF"].contains(pattern), (try? PythonRegex.compile(pattern)) == nil {
                throw args.error(name, "is not a valid regular expression: \(pattern)")
            }
        }
        self.edit = edit
        create = try args.bool("create")
        file = try ManagedFile(path: path, reading: args)
    }

    public func probe(_ context: TaskContext) throws -> String? {
        RemoteFile.probe(path, follow: true, content: true)
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan> {
        let remote = try RemoteFile.parse(probe?.output ?? "", path: path)
        let target = remote.kind == .link ? remote.followedKind : remote.kind
        if target == .directory { throw ModuleError("\(path) is a directory") }
        var old: Data?
        if target == .file {
            guard let content = remote.content, !remote.unreadable else {
                throw ManagedFile.unreadable(path, context)
            }
            old = content
        } else {
            if edit.state == .absent { return .ok("\(path) does not exist") }
            // In check mode an earlier task may be about to create the file: predict the edit
            // on an empty one rather than fail on what is not there yet.
            if !create && !context.checkMode {
                throw ModuleError("destination \(path) does not exist (use create: yes to create it)")
            }
        }
        guard let oldText = String(data: old ?? Data(), encoding: .utf8) else {
            throw ModuleError("\(path) is not UTF-8 text; lineinfile will not rewrite it")
        }
        let result = try edit.apply(to: oldText)
        var managed = file
        managed.maskedVariables = context.variables
        return try managed.decide(remote, content: .data(Data(result.text.utf8)), oldContent: old, context: context,
                                  summaryPrefix: result.changed ? result.message : nil)
    }

    public func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        try file.apply(plan, context)
    }
}
