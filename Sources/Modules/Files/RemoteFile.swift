import Foundation
import ProvisionCore

/// What a probe learned about one path on a host: its kind, owner, mode, and optionally
/// its SHA-256 or its whole content. Probe snippets are read-only and print one
/// `key=value` per line; their stderr is silenced where it could be mistaken for data.
public struct RemoteFile: Sendable, Equatable {
    public enum Kind: String, Sendable { case absent, file, directory, link, other }

    public var path: String
    /// The path itself (not following a symbolic link).
    public var kind: Kind
    /// What a symbolic link points to (followed), `.absent` for a dangling link.
    public var followedKind: Kind
    public var linkTarget: String?
    public var uid: Int?
    public var gid: Int?
    public var user: String?
    public var group: String?
    public var mode: Int?
    public var size: Int?
    public var sha256: String?
    /// The file's bytes, when the probe asked for them.
    public var content: Data?
    /// The probe asked for a digest or content but could not read the file.
    public var unreadable = false

    public var exists: Bool { kind != .absent }

    /// A read-only POSIX sh snippet describing `path`. `follow`: owner/mode of a link's target.
    public static func probe(_ path: String, follow: Bool = true, digest: Bool = false, content: Bool = false) -> String {
        let format = "%u:%g:%U:%G:%a:%s:%F"
        var lines = [
            "f=\(Shell.quote(path))",
            "if [ -L \"$f\" ]; then echo type=link; printf 'target=%s\\n' \"$(readlink -- \"$f\")\"",
            "elif [ -d \"$f\" ]; then echo type=directory",
            "elif [ -f \"$f\" ]; then echo type=file",
            "elif [ -e \"$f\" ]; then echo type=other",
            "else echo type=absent; fi",
            "stat -c 'lstat=\(format)' -- \"$f\" 2>/dev/null",
        ]
        // Only a link's target can differ from the path itself: one `stat` for anything else.
        if follow { lines.append("if [ -L \"$f\" ]; then stat -L -c 'stat=\(format)' -- \"$f\" 2>/dev/null; fi") }
        if digest {
            lines.append("if [ -f \"$f\" ]; then if s=$(sha256sum < \"$f\" 2>/dev/null); then echo \"sha256=${s%% *}\"; else echo unreadable; fi; fi")
        }
        if content {
            lines.append("if [ -f \"$f\" ]; then if c=$(base64 < \"$f\" 2>/dev/null); then echo content-begin; printf '%s\\n' \"$c\"; echo content-end; else echo unreadable; fi; fi")
        }
        lines.append("true")
        return lines.joined(separator: "\n")
    }

    /// Reads what `probe` printed.
    public static func parse(_ output: String, path: String, follow: Bool = true) throws -> RemoteFile {
        var file = RemoteFile(path: path, kind: .absent, followedKind: .absent)
        var sawType = false
        var contentLines: [Substring]?
        var lstat: [Substring]?, stat: [Substring]?
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if contentLines != nil {
                if line == "content-end" {
                    file.content = Data(base64Encoded: contentLines!.joined(), options: .ignoreUnknownCharacters) ?? Data()
                    contentLines = nil
                } else {
                    contentLines!.append(line)
                }
                continue
            }
            if line.hasPrefix("type=") {
                file.kind = Kind(rawValue: String(line.dropFirst(5))) ?? .other
                sawType = true
            } else if line.hasPrefix("target=") {
                file.linkTarget = String(line.dropFirst(7))
            } else if line.hasPrefix("lstat=") {
                lstat = line.dropFirst(6).split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
            } else if line.hasPrefix("stat=") {
                stat = line.dropFirst(5).split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
            } else if line.hasPrefix("sha256=") {
                file.sha256 = String(line.dropFirst(7))
            } else if line == "unreadable" {
                file.unreadable = true
            } else if line == "content-begin" {
                contentLines = []
            }
        }
        guard sawType else {
            let detail = output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").suffix(2).joined(separator: " | ")
            throw ModuleError("could not examine \(path) on the host" + (detail.isEmpty ? "" : ": \(detail)"))
        }
        file.followedKind = file.kind
        let fields = (follow && file.kind == .link) ? stat : lstat
        if file.kind == .link {
            if let stat, stat.count == 7 { file.followedKind = kind(of: stat[6]) } else { file.followedKind = .absent }
        }
        if let fields, fields.count == 7 {
            file.uid = Int(fields[0])
            file.gid = Int(fields[1])
            file.user = String(fields[2])
            file.group = String(fields[3])
            file.mode = Int(fields[4], radix: 8)
            file.size = Int(fields[5])
        }
        return file
    }

    static func kind(of statType: Substring) -> Kind {
        switch statType {
        case "directory": return .directory
        case "regular file", "regular empty file": return .file
        case "symbolic link": return .link
        default: return .other
        }
    }

    /// Whether `wanted` (a name or a numeric id) names this file's owner.
    public func ownerMatches(_ wanted: String?) -> Bool {
        guard let wanted else { return true }
        return wanted == user || Int(wanted) == uid
    }

    public func groupMatches(_ wanted: String?) -> Bool {
        guard let wanted else { return true }
        return wanted == group || Int(wanted) == gid
    }
}

/// Owner, group and mode a task asks for; nil fields are left as they are.
public struct WantedAttributes: Sendable, Equatable {
    public var owner: String?
    public var group: String?
    public var mode: FileMode?

    public init(owner: String? = nil, group: String? = nil, mode: FileMode? = nil) {
        self.owner = owner
        self.group = group
        self.mode = mode
    }

    static func parse(_ args: ModuleArguments) throws -> WantedAttributes {
        let wanted = WantedAttributes(owner: try args.string("owner").flatMap { $0.isEmpty ? nil : $0 },
                                      group: try args.string("group").flatMap { $0.isEmpty ? nil : $0 },
                                      mode: try FileMode.parse(args, "mode"))
        try NameRules.check(owner: wanted.owner, group: wanted.group, module: args.module,
                            at: args.locations["owner"] ?? args.locations["group"] ?? args.taskLocation)
        return wanted
    }

    static let parameters = [
        ParameterSpec("owner"), ParameterSpec("group"), ParameterSpec("mode", .mode),
    ]

    /// `chown` argument for the wanted owner/group, nil when neither is set.
    var chownSpec: String? {
        guard owner != nil || group != nil else { return nil }
        return (owner ?? "") + (group.map { ":" + $0 } ?? "")
    }

    /// What differs on an existing path: (what changes, for messages), and the commands
    /// that fix it. `isDirectory` matters for symbolic `X`.
    func differences(from file: RemoteFile, isDirectory: Bool) -> (changes: [String], wantedMode: Int?) {
        var changes: [String] = []
        if !file.ownerMatches(owner), let owner { changes.append("owner \(file.user ?? "?") -> \(owner)") }
        if !file.groupMatches(group), let group { changes.append("group \(file.group ?? "?") -> \(group)") }
        var wantedMode: Int?
        if let mode, let current = file.mode {
            let target = mode.resolve(current: current, isDirectory: isDirectory)
            if target != current {
                changes.append("mode \(FileMode.format(current)) -> \(FileMode.format(target))")
                wantedMode = target
            }
        }
        return (changes, wantedMode)
    }

    /// A shell command that sets owner/group/mode on `path` (mode given resolved).
    static func fixCommand(path: String, chown: String?, mode: Int?, recurse: Bool = false, symbolicMode: String? = nil) -> String {
        var parts: [String] = []
        let r = recurse ? "-R " : ""
        if let chown { parts.append("chown \(r)\(Shell.quote(chown)) -- \(Shell.quote(path))") }
        if let symbolicMode { parts.append("chmod \(r)\(Shell.quote(symbolicMode)) -- \(Shell.quote(path))") }
        else if let mode {
            parts.append("chmod \(r)\(FileMode.format(mode)) -- \(Shell.quote(path))")
            // A numeric chmod keeps set-user/group-ID bits on directories; clear them explicitly.
            let clear = [mode & 0o4000 == 0 ? "u-s" : nil, mode & 0o2000 == 0 ? "g-s" : nil].compactMap { $0 }
            if !clear.isEmpty { parts.append("chmod \(r)\(clear.joined(separator: ",")) -- \(Shell.quote(path))") }
        }
        return parts.joined(separator: " && ")
    }
}
