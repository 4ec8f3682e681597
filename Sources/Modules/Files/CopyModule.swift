import Foundation
import ProvisionCore

/// `copy`: a file on the host with the given `content` or the content of a local `src`
/// (relative to the playbook, then its `files/`), with owner, group, mode, `validate` and
/// `backup`. Only attributes differ -> chown/chmod only; content differs -> atomic upload.
public struct CopyModule: Module {
    public typealias Plan = ManagedFile.Plan

    public static let spec = ModuleSpec(
        name: "copy", summary: "A file on the host with the given content or the content of a controller file.",
        parameters: [
            ParameterSpec("dest", required: true),
            ParameterSpec("content", .any),
            ParameterSpec("src"),
            ParameterSpec("force", .bool, default: true),
        ] + ManagedFile.parameters,
        requiredOneOf: [["content", "src"]],
        mutuallyExclusive: [["src", "content"]],
        controllerFile: ControllerFileParameter("src", kind: .file, onHostWhen: "remote_src"),
        make: { try CopyModule($0) })

    enum Source: Sendable {
        case content(Data, secret: Bool)
        case local(String)
    }

    let dest: String
    let source: Source
    let force: Bool
    let file: ManagedFile

    init(_ args: ModuleArguments) throws {
        dest = try args.requiredString("dest")
        if let value = args.values["content"], value != .null {
            if case .secret(let s) = value {
                source = .content(Data(s.reveal().utf8), secret: true)
            } else {
                source = .content(Data(value.text.utf8), secret: false)
            }
            if dest.hasSuffix("/") { throw args.error("dest", "must be a file path when 'content' is given") }
        } else {
            source = .local(try args.requiredString("src"))
        }
        force = try args.bool("force")
        file = try ManagedFile(path: dest, reading: args)
    }

    /// With a local `src`, a `dest` that is a directory receives the file under the source's name.
    var nameInDirectory: String? {
        if case .local(let src) = source { return (src as NSString).lastPathComponent }
        return nil
    }

    public func probe(_ context: TaskContext) throws -> String? {
        guard let name = nameInDirectory else { return file.probe() }
        let inner = (dest.hasSuffix("/") ? dest : dest + "/") + name
        return file.probe() + "\nif [ -d \(Shell.quote(dest)) ]; then echo @@inner\n" + RemoteFile.probe(inner, digest: true) + "\nfi"
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan> {
        let output = probe?.output ?? ""
        var managed = file
        let parts = output.components(separatedBy: "@@inner\n")
        var remote = try RemoteFile.parse(parts[0], path: dest)
        if parts.count > 1, let name = nameInDirectory {
            managed.path = (dest.hasSuffix("/") ? dest : dest + "/") + name
            remote = try RemoteFile.parse(parts[1], path: managed.path)
        } else if dest.hasSuffix("/") {
            throw ModuleError("destination directory \(dest) does not exist")
        }
        if !force, remote.exists { return .ok("\(managed.path) exists (force: no)") }

        let content: ManagedFile.Content
        switch source {
        case .content(let data, let secret):
            content = .data(data)
            // Content made from a secret that no single secret value covers is hidden whole.
            if secret, !SecretMask(variables: context.variables).touches(String(decoding: data, as: UTF8.self)) {
                managed.contentIsSecret = true
            } else {
                managed.maskedVariables = context.variables
            }
        case .local(let src):
            content = .localFile(try Self.findLocal(src, context))
            managed.maskedVariables = context.variables
        }
        return try managed.decide(remote, content: content, context: context)
    }

    public func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        try file.apply(plan, context)
    }

    /// `src` on the controller (`ControllerFiles`: the role's files/, then beside the playbook and its files/).
    static func findLocal(_ src: String, _ context: TaskContext) throws -> String {
        let found = context.controllerFile(src, kind: .file)
        guard let path = found.path else {
            throw ModuleError("src '\(src)' not found on the controller (tried \(found.tried.joined(separator: ", ")))")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ModuleError("src \(path) is a directory; copying directories is not supported, copy its files")
        }
        return path
    }
}
