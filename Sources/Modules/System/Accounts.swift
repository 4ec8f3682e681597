import Foundation
import ProvisionCore

/// What the `user` and `group` probes read from the host's account databases (`getent`,
/// `id -Gn`), one `key=value` per line, and the checks their parameters share.
enum Accounts {
    /// A `getent group` line: `name:password:gid:member,member`.
    struct GroupEntry: Sendable, Equatable {
        var name: String
        var gid: Int
        var members: [String]

        init?(_ line: Substring) {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 3, let gid = Int(fields[2]) else { return nil }
            name = String(fields[0])
            self.gid = gid
            members = fields.count > 3 ? fields[3].split(separator: ",").map(String.init) : []
        }
    }

    /// A `getent passwd` line: `name:password:uid:gid:gecos:home:shell`.
    struct PasswdEntry: Sendable, Equatable {
        var name: String
        var uid: Int
        var gid: Int
        var comment: String
        var home: String
        var shell: String

        init?(_ line: Substring) {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 7, let uid = Int(f[2]), let gid = Int(f[3]) else { return nil }
            name = String(f[0])
            self.uid = uid
            self.gid = gid
            comment = String(f[4])
            home = String(f[5])
            shell = String(f[6])
        }
    }

    /// `key=value` lines; a repeated key keeps every value.
    static func fields(_ probe: ProbeResult?) -> [String: [Substring]] {
        var fields: [String: [Substring]] = [:]
        for line in probe?.lines ?? [] {
            guard let eq = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<eq]), default: []].append(line[line.index(after: eq)...])
        }
        return fields
    }

    /// A snippet printing `KEY=<getent group line>` when the group `name` exists.
    static func groupProbe(_ name: String, key: String) -> String {
        "if e=$(getent group -- \(Shell.quote(name)) 2>/dev/null); then printf '\(key)=%s\\t%s\\n' \(Shell.quote(name)) \"$e\"; fi"
    }

    /// The group entries a probe printed under `key`, by the name or id they were asked for.
    static func groups(_ fields: [String: [Substring]], key: String) -> [String: GroupEntry] {
        var result: [String: GroupEntry] = [:]
        for value in fields[key] ?? [] {
            let parts = value.split(separator: "\t", maxSplits: 1)
            if parts.count == 2, let entry = GroupEntry(parts[1]) { result[String(parts[0])] = entry }
        }
        return result
    }

    /// A user or group name for useradd/groupadd: shadow's rule (`NameRules`), and not all
    /// digits (the tools refuse a name that reads as an id).
    static func checkName(_ name: String, as kind: NameRules.Kind, _ args: ModuleArguments, parameter: String = "name") throws {
        try NameRules.check(name, as: kind, module: args.module, parameter: parameter, at: args.locations[parameter] ?? args.taskLocation)
        if name.allSatisfy(\.isNumber) {
            throw args.error(parameter, "'\(name)' is all digits: \(kind == .user ? "useradd" : "groupadd") takes a name, not an id")
        }
    }

    /// A uid or gid as shadow's tools take it.
    static func id(_ args: ModuleArguments, _ name: String) throws -> Int? {
        guard let id = try args.int(name) else { return nil }
        guard (0...4_294_967_294).contains(id) else { throw args.error(name, "must be between 0 and 4294967294, not \(id)") }
        return id
    }

    /// A passwd field (comment, home, shell): no `:` and no control characters, which would
    /// break the line it is stored in.
    static func passwdField(_ args: ModuleArguments, _ name: String) throws -> String? {
        guard let value = try args.string(name) else { return nil }
        if value.contains(":") { throw args.error(name, "must not contain ':' (it separates the fields of /etc/passwd)") }
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw args.error(name, "must not contain a newline or control character")
        }
        return value
    }
}
