import Foundation

/// What a probe learnt about one path on a host: its kind, owner, group, mode, digest,
/// and (when asked) its content.
struct FileState: Sendable, Equatable {
    enum Kind: String, Sendable { case absent, file, directory, link, other }

    var kind: Kind = .absent
    var owner: String?
    var group: String?
    var mode: Int?
    var sha256: String?
    var linkTarget: String?
    var content: String?
    /// Extra `key=value` lines a module's probe added.
    var extra: [String: String] = [:]

    /// The probe snippet: `withDigest` adds sha256sum, `withContent` the file itself (last,
    /// after a `--content` line, byte for byte).
    static func probe(_ path: String, withDigest: Bool = false, withContent: Bool = false) -> String {
        let p = Shell.quote(path)
        var lines = [
            "if [ -L \(p) ]; then echo kind=link; echo \"target=$(readlink \(p))\"",
            "elif [ -d \(p) ]; then echo kind=directory",
            "elif [ -f \(p) ]; then echo kind=file",
            "elif [ -e \(p) ]; then echo kind=other",
            "else echo kind=absent; fi",
            "if [ -e \(p) ] || [ -L \(p) ]; then stat -c 'attrs=%U %G %a' \(p); fi",
        ]
        if withDigest { lines.append("if [ -f \(p) ]; then echo \"sha256=$(sha256sum < \(p) | cut -c1-64)\"; fi") }
        if withContent { lines.append("if [ -f \(p) ]; then echo --content; cat \(p); fi") }
        return lines.joined(separator: "\n")
    }

    init() {}

    init(parsing output: String) {
        var rest = Substring(output)
        if let marker = output.range(of: "--content\n") {
            content = String(output[marker.upperBound...])
            rest = output[..<marker.lowerBound]
        }
        for line in rest.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq]), value = String(line[line.index(after: eq)...])
            switch key {
            case "kind": kind = Kind(rawValue: value) ?? .other
            case "target": linkTarget = value
            case "sha256": sha256 = value
            case "attrs":
                let parts = value.split(separator: " ")
                if parts.count == 3 {
                    owner = String(parts[0])
                    group = String(parts[1])
                    mode = Int(parts[2], radix: 8)
                }
            default: extra[key] = value
            }
        }
    }

    var exists: Bool { kind != .absent }
}

/// Owner, group and mode a task asks for (nil = leave as is).
struct WantedAttributes: Sendable, Equatable {
    var owner: String?
    var group: String?
    var mode: Int?

    init(owner: String? = nil, group: String? = nil, mode: Int? = nil) {
        self.owner = owner
        self.group = group
        self.mode = mode
    }

    init(_ args: ModuleArguments) throws {
        owner = try args.string("owner")
        group = try args.string("group")
        mode = try args.mode("mode")
        for (name, value) in [("owner", owner), ("group", group)] {
            if let value, value.isEmpty || !value.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) {
                throw InputError("\(args.module): \(name) '\(value)' is not a user or group name", at: args.locations[name] ?? args.taskLocation)
            }
        }
    }

    static let parameters = [ParameterSpec("owner"), ParameterSpec("group"), ParameterSpec("mode", .mode)]

    /// What differs from `state`, in words ("owner root -> www-data").
    func differences(from state: FileState) -> [String] {
        var out: [String] = []
        if let owner, owner != state.owner { out.append("owner \(state.owner ?? "?") -> \(owner)") }
        if let group, group != state.group { out.append("group \(state.group ?? "?") -> \(group)") }
        if let mode, mode != state.mode {
            out.append("mode \(state.mode.map { String($0, radix: 8) } ?? "?") -> \(String(mode, radix: 8))")
        }
        return out
    }

    /// chown/chmod commands for `path` (recursive with `-R`).
    func commands(for path: String, recursive: Bool = false) -> [String] {
        let r = recursive ? "-R " : ""
        var out: [String] = []
        if owner != nil || group != nil {
            out.append("chown \(r)\(Shell.quote((owner ?? "") + (group.map { ":" + $0 } ?? ""))) \(Shell.quote(path))")
        }
        if let mode { out.append("chmod \(r)\(String(mode, radix: 8)) \(Shell.quote(path))") }
        return out
    }
}
