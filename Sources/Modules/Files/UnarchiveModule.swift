import Foundation
import ProvisionCore
import Transport

/// `unarchive`: unpacks a local archive (uploaded once per unpack), a URL (fetched on the
/// host with curl or wget, `checksum: sha256:HEX` verified there) or, with `remote_src`, an
/// archive already on the host, into an existing `dest`.
///
/// Idempotence is a marker written last, outside `dest` (which is usually the web root):
/// `/var/lib/provision/unarchive/<sha256 of dest>` holds the archive's identity and the
/// options used. Present and equal -> ok. Absent or different -> unpack again; the old
/// marker is removed before unpacking, so an interrupted unpack is redone, never trusted.
public struct UnarchiveModule: Module {
    public struct Plan: Sendable {
        var script: String
        /// A controller file, uploaded (streamed from disk) into a directory only the login user
        /// can enter, made just before; the script gets it as `$u` and removes it on every path.
        var upload: String?
        var uploadPath: String
        var identity: String
    }

    public static let markerDirectory = "/var/lib/provision/unarchive"

    public static let spec = ModuleSpec(
        name: "unarchive",
        parameters: [
            ParameterSpec("src", required: true),
            ParameterSpec("dest", required: true),
            ParameterSpec("remote_src", .bool, default: false),
            ParameterSpec("owner"), ParameterSpec("group"),
            ParameterSpec("extra_opts", .list),
            ParameterSpec("strip_components", .int),
            ParameterSpec("creates"),
            ParameterSpec("checksum"),
            ParameterSpec("validate_certs", .bool, default: true),
        ],
        controllerFile: ControllerFileParameter("src", kind: .file, onHostWhen: "remote_src"),
        make: { try UnarchiveModule($0) })

    enum Source: Sendable, Equatable {
        case url(String)
        case local(String)
        case remote(String)

        var isLocal: Bool { if case .local = self { return true } else { return false } }
    }

    let source: Source
    let dest: String
    let owner: String?
    let group: String?
    let extraOptions: [String]
    let stripComponents: Int?
    let creates: String?
    /// Lowercase hex SHA-256 the archive must have.
    let checksum: String?
    let validateCerts: Bool

    init(_ args: ModuleArguments) throws {
        let src = try args.requiredString("src")
        let remoteSrc = try args.bool("remote_src")
        if src.hasPrefix("http://") || src.hasPrefix("https://") {
            source = .url(src)
        } else {
            source = remoteSrc ? .remote(src) : .local(src)
        }
        let d = try args.requiredString("dest")
        dest = d.count > 1 && d.hasSuffix("/") ? String(d.dropLast()) : d
        owner = try args.string("owner").flatMap { $0.isEmpty ? nil : $0 }
        group = try args.string("group").flatMap { $0.isEmpty ? nil : $0 }
        try NameRules.check(owner: owner, group: group, module: args.module, at: args.locations["owner"] ?? args.locations["group"] ?? args.taskLocation)
        extraOptions = try args.list("extra_opts") ?? []
        stripComponents = try args.int("strip_components")
        if let n = stripComponents, n < 0 { throw args.error("strip_components", "must be 0 or more") }
        creates = try args.string("creates").flatMap { $0.isEmpty ? nil : $0 }
        validateCerts = try args.bool("validate_certs")
        if let text = try args.string("checksum"), !text.isEmpty {
            var hex = text.lowercased()
            for prefix in ["sha256:", "sha256="] where hex.hasPrefix(prefix) { hex = String(hex.dropFirst(prefix.count)) }
            guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
                throw args.error("checksum", "must be 'sha256:' followed by 64 hex digits")
            }
            checksum = hex
        } else {
            checksum = nil
        }
        if format == .zip, (stripComponents ?? 0) > 0 { throw args.error("strip_components", "is not supported for zip archives") }
    }

    /// The marker for `dest`: named by the SHA-256 of the path, so any path maps to one file name.
    var markerPath: String { Self.markerDirectory + "/" + SHA256.hex(dest) }

    enum Format: Equatable { case tar(String?), zip }

    var archiveName: String {
        switch source {
        case .url(let u): return URL(string: u)?.path ?? u
        case .local(let p), .remote(let p): return p
        }
    }

    var format: Format {
        let name = archiveName.lowercased()
        if name.hasSuffix(".zip") { return .zip }
        if name.hasSuffix(".tar.gz") || name.hasSuffix(".tgz") { return .tar("-z") }
        if name.hasSuffix(".tar.bz2") || name.hasSuffix(".tbz2") || name.hasSuffix(".tbz") { return .tar("-j") }
        if name.hasSuffix(".tar.xz") || name.hasSuffix(".txz") { return .tar("-J") }
        if name.hasSuffix(".tar.zst") { return .tar("--zstd") }
        return .tar(nil)  // GNU tar recognises the compression of a file by itself
    }

    public func probe(_ context: TaskContext) throws -> String? {
        var lines = [
            "if [ -d \(Shell.quote(dest)) ]; then echo dest=dir; fi",
            "m=\(Shell.quote(markerPath))",
            "if [ -f \"$m\" ]; then printf 'marker='; head -n 1 -- \"$m\" 2>/dev/null; echo; fi",
        ]
        if let creates { lines.append("if [ -e \(Shell.quote(creates)) ]; then echo creates=yes; fi") }
        if case .remote(let path) = source {
            lines.append("if s=$(sha256sum < \(Shell.quote(path)) 2>/dev/null); then echo \"src_sha256=${s%% *}\"; fi")
        }
        return lines.joined(separator: "\n")
    }

    func value(_ key: String, in output: String) -> String? {
        for line in output.split(separator: "\n") where line.hasPrefix(key + "=") {
            return String(line.dropFirst(key.count + 1)).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// What was unpacked, and how: equal identities mean the same result in `dest`.
    func identity(probeOutput: String, context: TaskContext) throws -> (identity: String, upload: String?) {
        var archive: String
        var upload: String?
        switch source {
        case .url(let url):
            archive = "url=" + url + (checksum.map { " sha256=" + $0 } ?? "")
        case .local(let src):
            let path = try CopyModule.findLocal(src, context)
            let digest = try LocalDigests.shared.sha256(of: path)
            if let checksum, checksum != digest {
                throw ModuleError("\(path) has SHA-256 \(digest), not the expected \(checksum)")
            }
            archive = "sha256=" + digest
            upload = path
        case .remote(let path):
            guard let digest = value("src_sha256", in: probeOutput) else {
                throw ModuleError("src \(path) not found or unreadable on \(context.hostName)")
            }
            if let checksum, checksum != digest {
                throw ModuleError("\(path) on \(context.hostName) has SHA-256 \(digest), not the expected \(checksum)")
            }
            archive = "sha256=" + digest
        }
        let options = ["strip=\(stripComponents ?? 0)", "owner=\(owner ?? "")", "group=\(group ?? "")"] + extraOptions
        archive += " options=" + String(SHA256.hex(options.joined(separator: "\u{0}")).prefix(16))
        return (archive, upload)
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan> {
        let output = probe?.output ?? ""
        if let creates, output.contains("creates=yes") { return .ok("\(creates) exists") }
        let (identity, upload) = try identity(probeOutput: output, context: context)
        let marker = value("marker", in: output)
        let destExists = output.contains("dest=dir")
        if destExists, marker == identity { return .ok("\(archiveName) already unpacked in \(dest)") }
        if !destExists && !context.checkMode {
            throw ModuleError("dest \(dest) does not exist or is not a directory (unarchive unpacks into an existing directory)")
        }
        let uploadPath = "archive"   // inside the private upload directory `$u`
        let reason = !destExists ? "; \(dest) does not exist yet" : (marker == nil ? "" : " (archive or options changed)")
        return .change(summary: "unpack \(archiveName) into \(dest)\(reason)",
                       plan: Plan(script: script(identity: identity, uploadPath: uploadPath), upload: upload,
                                  uploadPath: uploadPath, identity: identity))
    }

    func script(identity: String, uploadPath: String) -> String {
        let qd = Shell.quote(dest), qm = Shell.quote(markerPath)
        // A local archive arrives in `$u`, the login user's private upload directory (see apply):
        // it is removed on every path, from the first line on.
        let cleanup = source.isLocal ? "trap 'rm -rf -- \"$t\" \"$u\"' EXIT" : "trap 'rm -rf -- \"$t\"' EXIT"
        var lines = ["set -e"]
        if source.isLocal { lines.append("trap 'rm -rf -- \"$u\"' EXIT") }
        lines += [
            "t=$(mktemp -d \"${TMPDIR:-/tmp}/provision-unarchive.XXXXXX\")",
            cleanup,
            "trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM",
            "[ -d \(qd) ] || { echo \(Shell.quote("\(dest) does not exist or is not a directory")) >&2; exit 1; }",
        ]
        switch source {
        case .local:
            // Copied into root's private directory: the bytes checked are the bytes unpacked.
            lines += ["cp -- \"$u\"/\(Shell.quote(uploadPath)) \"$t/archive\"", "rm -rf -- \"$u\"", "a=\"$t/archive\""]
        case .url(let url):
            let qu = Shell.quote(url)
            lines += [
                "a=\"$t/archive\"",
                "if command -v curl >/dev/null 2>&1; then curl -fsSL --retry 2 \(validateCerts ? "" : "-k ")-o \"$a\" \(qu)",
                "elif command -v wget >/dev/null 2>&1; then wget -q \(validateCerts ? "" : "--no-check-certificate ")-O \"$a\" \(qu)",
                "else echo 'neither curl nor wget is installed on the host' >&2; exit 1; fi",
            ]
        case .remote(let path):
            // Checked and unpacked from one private copy: the same bytes.
            lines += ["cp -- \(Shell.quote(path)) \"$t/archive\"", "a=\"$t/archive\""]
        }
        if let checksum {
            lines += [
                "s=$(sha256sum < \"$a\"); s=${s%% *}",
                "[ \"$s\" = \(checksum) ] || { echo \"checksum mismatch for \(archiveName.replacingOccurrences(of: "\"", with: "")): expected \(checksum), got $s\" >&2; exit 1; }",
            ]
        }
        // The marker goes first, so a half-done unpack is never mistaken for a finished one.
        lines.append("rm -f -- \(qm)")
        let extra = extraOptions.map(Shell.quote).joined(separator: " ")
        switch format {
        case .zip:
            lines.append("command -v unzip >/dev/null 2>&1 || { echo 'unzip is not installed on the host' >&2; exit 1; }")
            lines.append("unzip -q -o \(extra) \"$a\" -d \(qd)")
        case .tar(let flag):
            var words = ["tar", "-x"]
            if let flag { words.append(flag) }
            // As root tar would restore the owners and modes stored in the archive: never.
            words += ["--no-same-owner", "--no-same-permissions", "-f", "\"$a\"", "-C", qd]
            if let n = stripComponents, n > 0 { words.append("--strip-components=\(n)") }
            if !extra.isEmpty { words.append(extra) }
            lines.append(words.joined(separator: " "))
        }
        if owner != nil || group != nil {
            let spec = (owner ?? "") + (group.map { ":" + $0 } ?? "")
            lines.append("chown -R \(Shell.quote(spec)) -- \(qd)")
        }
        lines += [
            "mkdir -p -- \(Shell.quote(Self.markerDirectory))",
            "printf '%s\\n' \(Shell.quote(identity)) > \(qm).tmp.$$",
            "mv -f -- \(qm).tmp.$$ \(qm)",
        ]
        return lines.joined(separator: "\n")
    }

    public func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        // Uploaded from disk in chunks, not held in memory: a 20 MB archive to many hosts
        // at once would otherwise cost 20 MB of the controller's memory per host.
        var script = plan.script
        if let upload = plan.upload {
            guard FileManager.default.isReadableFile(atPath: upload) else {
                throw ModuleError("cannot read \(upload) on the controller")
            }
            // A directory only the login user can enter (0700), not a name in world-writable /tmp.
            let made = try context.connection.run("mktemp -d \"${TMPDIR:-/tmp}/provision-upload.XXXXXX\"", stdin: Data(), become: false,
                                                  timeout: 60, onOutput: nil)
            let directory = made.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            guard made.succeeded, directory.hasPrefix("/"), !directory.contains("\n") else {
                throw ModuleError("cannot make a private upload directory on \(context.hostName): \(made.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            do {
                try context.connection.put(file: upload, to: directory + "/" + plan.uploadPath, attributes: FileAttributes(mode: 0o600), become: false)
            } catch {
                _ = try? context.connection.run("rm -rf -- \(Shell.quote(directory))", stdin: Data(), become: false, timeout: 60, onOutput: nil)
                throw error
            }
            script = "u=\(Shell.quote(directory))\n" + script
        }
        try context.run(script, stdin: Data(), what: "unpacking \(archiveName) into \(dest)")
        return TaskOutcome(changed: true, registered: ["dest": .string(dest), "src": .string(archiveName), "marker": .string(markerPath)])
    }
}
