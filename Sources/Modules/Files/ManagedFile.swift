import Foundation
import ProvisionCore
import Transport

/// One file whose content and attributes a task manages: the single content path shared by
/// `copy`, `template` and `lineinfile`. Decide compares the wanted bytes' SHA-256 and
/// attributes with the probed file; apply uploads through `Connection.put` (atomic: temp
/// file in the same directory, owner and mode set, then rename) or only fixes attributes.
public struct ManagedFile: Sendable {
    enum Content: Sendable {
        case data(Data)
        /// A file on the controller, streamed on upload.
        case localFile(String)
    }

    var path: String
    var attributes: WantedAttributes
    /// A command with `%s` standing for the new file; it must succeed before the file is moved into place.
    var validate: String?
    var backup: Bool
    /// The variables whose secret values are masked in diffs (beyond the engine's own
    /// masking). The mask is made only for a diff: it walks every variable (hostvars holds
    /// every host's), which a no-op on 100 hosts paid per file task and host for nothing.
    var maskedVariables: [String: Value] = [:]
    /// The whole content is a secret: diffs never show it.
    var contentIsSecret = false

    static let diffLimit = 256 * 1024

    public struct Plan: Sendable {
        var path: String
        /// nil: the content is right, only attributes change.
        var content: Content?
        var chown: String?
        var mode: Int?
        var putAttributes: FileAttributes
        var existed: Bool
        var digest: String
    }

    static let parameters = WantedAttributes.parameters + [ParameterSpec("validate"), ParameterSpec("backup", .bool, default: false)]

    /// A file on the host the probe could not read: the error every file module gives.
    static func unreadable(_ path: String, _ context: TaskContext) -> ModuleError {
        ModuleError("cannot read \(path) on \(context.hostName)" + (context.become ? "" : " (permission denied? try become: true)"))
    }

    static func parseValidate(_ args: ModuleArguments) throws -> String? {
        guard let v = try args.string("validate"), !v.isEmpty else { return nil }
        guard v.contains("%s") else { throw args.error("validate", "must contain %s (the path of the file to check), e.g. 'php -l %s'") }
        return v
    }

    /// The probe: kind, owner, mode and SHA-256 of the path.
    func probe() -> String { RemoteFile.probe(path, follow: true, digest: true) }

    func digest(of content: Content) throws -> String {
        switch content {
        case .data(let d): return SHA256.hex(d)
        case .localFile(let p): return try LocalDigests.shared.sha256(of: p)
        }
    }

    /// Compares wanted content with `file`. `oldContent`: the current bytes when the probe
    /// already fetched them (lineinfile), so a diff needs no extra round trip.
    func decide(_ file: RemoteFile, content: Content, oldContent: Data? = nil, context: TaskContext,
                summaryPrefix: String? = nil) throws -> Decision<Plan> {
        let target = file.kind == .link ? file.followedKind : file.kind
        if target == .directory { throw ModuleError("\(path) is a directory; give the path of a file") }
        if target == .other { throw ModuleError("\(path) exists but is not a regular file") }
        if file.unreadable { throw Self.unreadable(path, context) }
        // A symbolic link at the destination is replaced by the file, never written, chowned or
        // read through (Ansible's `follow: no`): in a directory the web user can write, it may
        // point at anything root can reach.
        let isLink = file.kind == .link
        let exists = target == .file && !isLink
        let wanted = try digest(of: content)
        let current = file.sha256 ?? oldContent.map { SHA256.hex($0) }
        let contentDiffers = !exists || current != wanted

        var changes: [String] = []
        var chown: String?
        var mode: Int?
        if exists {
            let (attributeChanges, wantedMode) = attributes.differences(from: file, isDirectory: false)
            changes = attributeChanges
            mode = wantedMode
            if !file.ownerMatches(attributes.owner) || !file.groupMatches(attributes.group) { chown = attributes.chownSpec }
        }
        guard contentDiffers || !changes.isEmpty else { return .ok(nil) }

        let finalMode = exists
            ? (mode ?? file.mode ?? 0o644)
            : (attributes.mode?.resolve(current: 0o644, isDirectory: false) ?? 0o644)
        // Replacing a file keeps its owner and group unless others are asked for (as Ansible does).
        let keepOwner = exists && context.become
        let putAttributes = FileAttributes(
            mode: finalMode,
            owner: attributes.owner ?? (keepOwner ? file.uid.map(String.init) : nil),
            group: attributes.group ?? (keepOwner ? file.gid.map(String.init) : nil))

        var summary: String
        if !exists {
            summary = isLink ? "replace the symbolic link \(path) with a file" : "create \(path)"
            if let o = attributes.owner { summary += " owner \(o)" }
            if let g = attributes.group { summary += " group \(g)" }
            summary += " mode \(FileMode.format(finalMode))"
        } else if contentDiffers {
            summary = "update content of \(path)" + (changes.isEmpty ? "" : "; " + changes.joined(separator: ", "))
        } else {
            summary = "\(path): " + changes.joined(separator: ", ")
        }
        if let summaryPrefix { summary = summaryPrefix + ": " + summary }

        var diff: FileDiff?
        if context.diffMode {
            if contentDiffers {
                diff = try contentDiff(file, exists: exists, content: content, oldContent: oldContent, context: context)
                if diff?.after?.contains(SecretMask.mask) == true || contentIsSecret { summary += " (secrets masked in diff)" }
            } else {
                diff = attributeDiff(file, putAttributes)
            }
        }
        let plan = Plan(path: path, content: contentDiffers ? content : nil, chown: chown, mode: mode,
                        putAttributes: putAttributes, existed: exists, digest: wanted)
        return .change(summary: summary, diff: diff, plan: plan)
    }

    // MARK: diff

    static func displayText(_ data: Data) -> String {
        if data.count > diffLimit { return "[larger than 256 KiB: not shown]\n" }
        if data.contains(0) { return "[binary: not shown]\n" }
        guard let text = String(data: data, encoding: .utf8) else { return "[binary: not shown]\n" }
        return text
    }

    func contentDiff(_ file: RemoteFile, exists: Bool, content: Content, oldContent: Data?, context: TaskContext) throws -> FileDiff {
        if contentIsSecret {
            return FileDiff(path: path, before: exists ? "[secret content: not shown]\n" : nil, after: "[secret content: not shown]\n")
        }
        var before: String?
        if exists {
            if let oldContent {
                before = Self.displayText(oldContent)
            } else if (file.size ?? 0) > Self.diffLimit {
                before = "[larger than 256 KiB: not shown]\n"
            } else {
                let r = try context.connection.run(TaskContext.withSystemPath("base64 < \(Shell.quote(path))"), stdin: Data(),
                                                   become: context.become, timeout: nil, onOutput: nil)
                let old = r.succeeded ? Data(base64Encoded: r.stdoutText, options: .ignoreUnknownCharacters) : nil
                before = old.map(Self.displayText) ?? "[unreadable]\n"
            }
        }
        var after: String
        switch content {
        case .data(let d): after = Self.displayText(d)
        case .localFile(let p):
            let size = ((try? FileManager.default.attributesOfItem(atPath: p))?[.size] as? NSNumber)?.intValue ?? 0
            after = size > Self.diffLimit ? "[larger than 256 KiB: not shown]\n"
                : ((try? Data(contentsOf: URL(fileURLWithPath: p))).map(Self.displayText) ?? "[unreadable]\n")
        }
        let mask = SecretMask(variables: maskedVariables)
        if !mask.isEmpty {
            let masked = mask.maskDiff(before: before, after: after)
            before = masked.before
            after = masked.after
        }
        return FileDiff(path: path, before: before, after: after)
    }

    func attributeDiff(_ file: RemoteFile, _ wanted: FileAttributes) -> FileDiff {
        let before = "owner: \(file.user ?? "?")\ngroup: \(file.group ?? "?")\nmode: \(file.mode.map(FileMode.format) ?? "?")\n"
        let after = "owner: \(attributes.owner ?? file.user ?? "?")\ngroup: \(attributes.group ?? file.group ?? "?")\nmode: \(FileMode.format(wanted.mode))\n"
        return FileDiff(path: path, before: before, after: after)
    }

    // MARK: apply

    func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        var registered: [String: Value] = ["dest": .string(plan.path), "checksum": .string(plan.digest)]
        guard let content = plan.content else {
            try context.run(WantedAttributes.fixCommand(path: plan.path, chown: plan.chown, mode: plan.mode),
                            what: "setting owner/mode of \(plan.path)")
            return TaskOutcome(changed: true, registered: registered)
        }
        if backup && plan.existed {
            let q = Shell.quote(plan.path)
            let r = try context.run("b=\(q).$$.$(date +%Y-%m-%d@%H:%M:%S)~\ncp -p -- \(q) \"$b\" && printf '%s' \"$b\"",
                                    what: "backing up \(plan.path)")
            registered["backup_file"] = .string(r.stdoutText)
        }
        var attributes = plan.putAttributes
        attributes.validation = validate
        do {
            try put(content, to: plan.path, attributes, context)
        } catch let refused as FileValidationFailed {
            throw ModuleError(refused.description, registered: ["rc": .int(Int(refused.exitStatus)), "stdout": .string(refused.stdout),
                                                             "stderr": .string(refused.stderr)])
        }
        return TaskOutcome(changed: true, registered: registered)
    }

    func put(_ content: Content, to path: String, _ attributes: FileAttributes, _ context: TaskContext) throws {
        switch content {
        case .data(let d): try context.connection.put(d, to: path, attributes: attributes, become: context.become)
        case .localFile(let p): try context.connection.put(file: p, to: path, attributes: attributes, become: context.become)
        }
    }
}

extension ManagedFile {
    /// The file at `path` as `parameters` ask for it (owner, group, mode, validate, backup).
    init(path: String, reading args: ModuleArguments) throws {
        self.init(path: path, attributes: try WantedAttributes.parse(args), validate: try Self.parseValidate(args),
                  backup: try args.bool("backup"))
    }
}
