import Foundation
import ProvisionCore

/// The parts of an OpenSSH client config (`~/.ssh/config` or `-F FILE`) that say how to
/// reach a host. First value wins per keyword, as in `ssh`.
public struct SSHConfig: Sendable {
    public struct Block: Sendable {
        public var patterns: [String]
        public var options: [(key: String, value: String)]
        public var line: Int
    }

    public var file: String?
    public var blocks: [Block]

    public init(file: String? = nil, blocks: [Block] = []) {
        self.file = file
        self.blocks = blocks
    }

    /// The options for `host`, keyword -> first value (keywords lower-cased);
    /// IdentityFile accumulates as in ssh.
    public struct Resolved: Sendable, Equatable {
        public var hostName: String?
        public var user: String?
        public var port: Int?
        public var identityFiles: [String] = []
        public var userKnownHostsFile: String?
        public var strictHostKeyChecking: String?
        public var identitiesOnly: Bool?
        public var proxyJump: String?
        public var connectTimeout: Int?
    }

    /// Read through a file handle, so `-F /dev/null` (ssh's idiom for "no config") works.
    public static func load(path: String) throws -> SSHConfig {
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() ?? Data(),
              let text = String(data: data, encoding: .utf8) else {
            throw InputError("cannot read ssh config \(path)", hint: "check -F")
        }
        try? handle.close()
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String? = nil) throws -> SSHConfig {
        var blocks: [Block] = [Block(patterns: ["*"], options: [], line: 0)]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let (key, value) = splitKeyword(line)
            guard !value.isEmpty else {
                throw InputError("ssh config: '\(key)' has no value", at: file.map { SourceLocation(file: $0, line: index + 1) })
            }
            switch key.lowercased() {
            case "host":
                blocks.append(Block(patterns: value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init), options: [], line: index + 1))
            case "match":
                // Match blocks need evaluation we don't do; never apply them.
                blocks.append(Block(patterns: [], options: [], line: index + 1))
            default:
                // The numbers we use are checked here, as ssh checks them, with the file and line.
                if let rule = numericKeywords[key.lowercased()] {
                    _ = try NumberRules.parse(unquote(value), key, rule, source: "ssh config",
                                              at: file.map { SourceLocation(file: $0, line: index + 1) })
                }
                blocks[blocks.count - 1].options.append((key.lowercased(), unquote(value)))
            }
        }
        return SSHConfig(file: file, blocks: blocks)
    }

    static let numericKeywords: [String: NumberRules.Rule] = ["port": NumberRules.port, "connecttimeout": NumberRules.seconds]

    static func splitKeyword(_ line: String) -> (String, String) {
        if let eq = line.firstIndex(where: { $0 == "=" || $0 == " " || $0 == "\t" }) {
            let key = String(line[..<eq])
            var rest = line[eq...].drop(while: { $0 == " " || $0 == "\t" })
            if rest.first == "=" { rest = rest.dropFirst().drop(while: { $0 == " " || $0 == "\t" }) }
            return (key, String(rest).trimmingCharacters(in: .whitespaces))
        }
        return (line, "")
    }

    static func unquote(_ value: String) -> String {
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { return String(value.dropFirst().dropLast()) }
        return value
    }

    /// Whether a `Host` line names `host` exactly (not only through wildcards).
    public func namesHost(_ host: String) -> Bool {
        blocks.contains { $0.patterns.contains(host) }
    }

    /// `address`: where the inventory says the host is (`ansible_host`), when that differs from
    /// its name. OpenSSH matches `Host` patterns against the name on its command line, and
    /// Ansible puts the address there; a block matching either applies, so ssh configs written
    /// for `ssh NAME` and for `ssh ADDRESS` both work.
    public func resolve(_ host: String, address: String? = nil) -> Resolved {
        var resolved = Resolved()
        var seen = Set<String>()
        let candidates = [host] + (address.map { $0 == host ? [] : [$0] } ?? [])
        for block in blocks where candidates.contains(where: { Self.matches($0, block.patterns) }) {
            for (key, value) in block.options {
                if key == "identityfile" {
                    resolved.identityFiles.append(expand(value, host: host))
                    continue
                }
                guard !seen.contains(key) else { continue }
                seen.insert(key)
                switch key {
                case "hostname": resolved.hostName = value.replacingOccurrences(of: "%h", with: host)
                case "user": resolved.user = value
                case "port": resolved.port = Int(value)
                case "userknownhostsfile":
                    resolved.userKnownHostsFile = value.split(separator: " ").first.map { expand(String($0), host: host) }
                case "stricthostkeychecking": resolved.strictHostKeyChecking = value.lowercased()
                case "identitiesonly": resolved.identitiesOnly = value.lowercased() == "yes"
                case "proxyjump": resolved.proxyJump = value
                case "connecttimeout": resolved.connectTimeout = Int(value)
                default: break
                }
            }
        }
        return resolved
    }

    func expand(_ path: String, host: String) -> String {
        var p = path.replacingOccurrences(of: "%h", with: host).replacingOccurrences(of: "%%", with: "%")
        if p.hasPrefix("~/") { p = NSHomeDirectory() + p.dropFirst(1) }
        if p.contains("%d") { p = p.replacingOccurrences(of: "%d", with: NSHomeDirectory()) }
        return p
    }

    /// OpenSSH pattern lists: `*` and `?` wildcards, `!` negation.
    static func matches(_ host: String, _ patterns: [String]) -> Bool {
        var matched = false
        for pattern in patterns {
            if pattern.hasPrefix("!") {
                if Glob.matches(host, String(pattern.dropFirst())) { return false }
            } else if Glob.matches(host, pattern) {
                matched = true
            }
        }
        return matched
    }
}

