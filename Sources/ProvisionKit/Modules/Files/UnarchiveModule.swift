import Foundation

/// `unarchive`: an archive unpacked into `dest`, from a file on the controller (uploaded)
/// or a URL fetched on the host (checksum verified when given). A marker written last, in
/// /var/lib/provision (never in the web root), records which archive was unpacked: an
/// interrupted unpack leaves no marker and is redone on the next run.
public struct UnarchiveModule: Module {
    public static let spec = ModuleSpec(
        name: "unarchive",
        parameters: [
            ParameterSpec("src", required: true),
            ParameterSpec("dest", required: true),
            ParameterSpec("remote_src", .bool),
            ParameterSpec("checksum"),
            ParameterSpec("extra_opts", .list),
            ParameterSpec("strip_components", .int),
            ParameterSpec("creates"),
        ] + WantedAttributes.parameters,
        make: { try UnarchiveModule($0) })

    static let markerDirectory = "/var/lib/provision/unarchive"

    let source: String
    let dest: String
    let remoteSource: Bool
    let checksum: String?
    let options: [String]
    let creates: String?
    let attributes: WantedAttributes

    init(_ args: ModuleArguments) throws {
        source = try args.requiredString("src")
        dest = try args.requiredString("dest")
        remoteSource = try args.bool("remote_src", default: false)
        creates = try args.string("creates")
        attributes = try WantedAttributes(args)
        var options = try args.list("extra_opts") ?? []
        if let strip = try args.int("strip_components") {
            guard strip >= 0 else { throw InputError("unarchive: strip_components must be 0 or more", at: args.taskLocation) }
            options.append("--strip-components=\(strip)")
        }
        for option in options where !option.hasPrefix("-") {
            throw InputError("unarchive: extra_opts entries are tar options starting with '-', not '\(option)'", at: args.locations["extra_opts"] ?? args.taskLocation)
        }
        self.options = options
        if let text = try args.string("checksum"), !text.isEmpty {
            // Ansible's form is `sha256:HEX`; a bare 64-digit hex is taken as SHA-256 too.
            let hex = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
            guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
                throw InputError("unarchive: checksum must be sha256:<64 hex digits>", at: args.locations["checksum"] ?? args.taskLocation)
            }
            checksum = hex.lowercased()
        } else {
            checksum = nil
        }
    }

    var isURL: Bool { source.hasPrefix("http://") || source.hasPrefix("https://") || source.hasPrefix("ftp://") }

    /// The marker file for `dest`: its name derives from the path, its content names the archive.
    var marker: String { Self.markerDirectory + "/" + SHA256.hex(Data(dest.utf8)).prefix(32) }

    /// What identifies the archive: the local file's digest, or the URL with its checksum.
    func identity(_ context: TaskContext) throws -> String {
        if isURL || remoteSource { return "\(source) \(checksum ?? "")" }
        let path = context.localPath(source)
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ModuleError("unarchive: \(path) not found on the controller")
        }
        return "sha256:" + (try LocalDigests.shared.sha256(of: path))
    }

    public func probe(_ context: TaskContext) throws -> String? {
        var lines = [
            "if [ -d \(Shell.quote(dest)) ]; then echo dest=yes; fi",
            "if [ -f \(Shell.quote(marker)) ]; then echo \"marker=$(cat \(Shell.quote(marker)))\"; fi",
        ]
        if let creates { lines.append("if [ -e \(Shell.quote(creates)) ]; then echo creates=yes; fi") }
        return lines.joined(separator: "\n")
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<String> {
        let state = FileState(parsing: probe?.output ?? "")
        if state.extra["creates"] == "yes" { return .ok("\(creates ?? "") exists") }
        let identity = try identity(context)
        if state.extra["marker"] == identity { return .ok("\(dest) holds this archive") }
        if state.extra["dest"] != "yes" && !context.checkMode {
            throw ModuleError("unarchive: destination \(dest) is not a directory")
        }
        return .change(summary: "unpack \((source as NSString).lastPathComponent) into \(dest)", plan: identity)
    }

    public func apply(_ identity: String, _ context: TaskContext) throws -> TaskOutcome {
        // A private directory for the archive; removed on every way out of the script.
        let made = try context.run("mktemp -d /tmp/provision-unarchive.XXXXXX", what: "making a temporary directory")
        let work = made.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard work.hasPrefix("/tmp/provision-unarchive.") else { throw ModuleError("unarchive: unexpected temporary directory '\(work)'") }
        let archive = work + "/archive"
        var script = ["set -e", "trap 'rm -rf \(Shell.quote(work))' EXIT"]
        if isURL {
            script.append("if command -v curl >/dev/null 2>&1; then curl -fsSL --retry 2 -o \(Shell.quote(archive)) \(Shell.quote(source)); else wget -q -O \(Shell.quote(archive)) \(Shell.quote(source)); fi")
        } else if remoteSource {
            script.append("cp -- \(Shell.quote(source)) \(Shell.quote(archive))")
        } else {
            do {
                try context.connection.put(file: context.localPath(source), to: archive, attributes: FileAttributes(mode: 0o600), become: context.become)
            } catch {
                _ = try? context.run("rm -rf \(Shell.quote(work))", what: "cleaning up")
                throw error
            }
        }
        if let checksum {
            script.append("echo \(Shell.quote(checksum + "  " + archive)) | sha256sum -c --quiet - || { echo 'checksum mismatch: the archive is not the one wordpress_sha256 names' >&2; exit 1; }")
        }
        let extract: String
        if source.lowercased().hasSuffix(".zip") {
            extract = "unzip -q -o \(Shell.quote(archive)) -d \(Shell.quote(dest))"
        } else {
            extract = "tar -x -f \(Shell.quote(archive)) -C \(Shell.quote(dest)) --no-same-owner " + Shell.join(options)
        }
        script.append(extract)
        script += attributes.commands(for: dest, recursive: true)
        script.append("mkdir -p \(Self.markerDirectory)")
        script.append("printf '%s\\n' \(Shell.quote(identity)) > \(Shell.quote(marker)).new && mv -f \(Shell.quote(marker)).new \(Shell.quote(marker))")
        try context.run(script.joined(separator: "\n"), what: "unpacking \(source)")
        return TaskOutcome(changed: true)
    }
}

/// Digests of controller files, kept in ~/.cache/provision/digests keyed by path, size,
/// modification time and inode (as rsync and git judge "unchanged"), so a re-run does not
/// hash a 20 MB archive again.
final class LocalDigests: @unchecked Sendable {
    static let shared = LocalDigests()
    private let lock = NSLock()
    private var cache: [String: String]?
    let file: String

    init(file: String = LocalDigests.defaultFile) {
        self.file = file
    }

    static var defaultFile: String {
        let base = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")
        return base + "/provision/digests"
    }

    func sha256(of path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ModuleError("cannot read \(path) on the controller") }
        let key = "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(info.st_ino) \(path)"
        lock.lock()
        if cache == nil { cache = load() }
        if let known = cache?[key] { lock.unlock(); return known }
        lock.unlock()
        let digest = try SHA256.hex(fileAt: path)
        lock.lock()
        cache?[key] = digest
        save()
        lock.unlock()
        return digest
    }

    private func load() -> [String: String] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [:] }
        var entries: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].count == 64 { entries[String(parts[1])] = String(parts[0]) }
        }
        return entries
    }

    /// Written whole to a temporary file and renamed; failures only cost a re-hash later.
    private func save() {
        guard let cache else { return }
        let text = cache.map { "\($0.value) \($0.key)" }.sorted().suffix(200).joined(separator: "\n") + "\n"
        let directory = (file as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = file + ".\(getpid())"
        if FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) {
            rename(temporary, file)
        }
    }
}
