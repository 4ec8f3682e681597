import Foundation
import ProvisionCore

/// `stat`: a path's facts for later tasks (`register: st`, then `st.stat.exists`,
/// `st.stat.isdir`, `st.stat.mode`, `st.stat.checksum` …, Ansible's names); never changes
/// anything, so it runs in check mode too. One `stat` (and a hash of a regular file) in the
/// probe batch.
public struct StatModule: Module {
    public static let spec = ModuleSpec(
        name: "stat", summary: "Reads a path's kind, owner, mode, size and checksum for later tasks (register:).",
        parameters: [
            ParameterSpec("path", required: true, aliases: ["dest", "name"]),
            ParameterSpec("follow", .bool, default: false),
            ParameterSpec("get_checksum", .bool, default: true),
            ParameterSpec("checksum_algorithm", choices: Array(hashTools.keys).sorted(), aliases: ["checksum", "checksum_algo"], default: "sha1"),
        ],
        make: { try StatModule($0) })

    /// Ansible's checksum algorithms and the coreutils tool for each.
    static let hashTools = ["md5": "md5sum", "sha1": "sha1sum", "sha224": "sha224sum", "sha256": "sha256sum",
                            "sha384": "sha384sum", "sha512": "sha512sum"]

    let path: String
    let follow: Bool
    let checksumTool: String?

    init(_ args: ModuleArguments) throws {
        path = try args.requiredString("path")
        follow = try args.bool("follow")
        checksumTool = try args.bool("get_checksum") ? Self.hashTools[try args.choice("checksum_algorithm")] : nil
    }

    /// One line `kind|mode|uid|gid|user|group|size|mtime|inode|links`, then the checksum of a
    /// regular file and, for a link, where it points; or `missing`.
    public func probe(_ context: TaskContext) throws -> String? {
        let p = Shell.quote(path)
        let hash = checksumTool.map { "\n  if [ -f \(p) ]; then echo \"checksum=$(\($0) < \(p) | cut -d' ' -f1)\"; fi" } ?? ""
        return """
            if [ -e \(p) ] || [ -L \(p) ]; then
              stat \(follow ? "-L " : "")-c '%F|%a|%u|%g|%U|%G|%s|%Y|%i|%h' -- \(p)\(hash)
              if [ -L \(p) ]; then echo "link=$(readlink -- \(p))"; echo "source=$(readlink -f -- \(p))"; fi
            else echo missing; fi
            """
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Void> {
        .ok(Self.stat(path: path, probe).dictValue?["exists"] == .bool(true) ? "\(path) exists" : "\(path) does not exist")
    }

    public func apply(_ plan: Void, _ context: TaskContext) throws -> TaskOutcome { TaskOutcome(changed: false) }

    public func registered(from probe: ProbeResult?) -> [String: Value] { ["stat": Self.stat(path: path, probe)] }

    /// Ansible's `stat` dictionary from the probe's output.
    static func stat(path: String, _ probe: ProbeResult?) -> Value {
        let lines = probe?.lines.map(String.init).filter { !$0.isEmpty } ?? []
        guard let first = lines.first, first != "missing" else { return ["exists": false, "path": .string(path)] }
        let f = first.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 10 else { return ["exists": false, "path": .string(path)] }
        let kind = f[0]
        let mode = Int(f[1], radix: 8) ?? 0
        var stat: [String: Value] = [
            "exists": true, "path": .string(path),
            "isreg": .bool(kind.hasPrefix("regular")), "isdir": .bool(kind == "directory"), "islnk": .bool(kind == "symbolic link"),
            "mode": .string(String(format: "%04o", mode)),
            "uid": .int(Int(f[2]) ?? -1), "gid": .int(Int(f[3]) ?? -1), "pw_name": .string(f[4]), "gr_name": .string(f[5]),
            "size": .int(Int(f[6]) ?? 0), "mtime": .int(Int(f[7]) ?? 0), "inode": .int(Int(f[8]) ?? 0), "nlink": .int(Int(f[9]) ?? 0),
            "xusr": .bool(mode & 0o100 != 0), "wusr": .bool(mode & 0o200 != 0), "rusr": .bool(mode & 0o400 != 0),
        ]
        for line in lines.dropFirst() {
            guard let eq = line.firstIndex(of: "=") else { continue }
            let value = String(line[line.index(after: eq)...])
            switch line[..<eq] {
            case "checksum": stat["checksum"] = .string(value)
            case "link": stat["lnk_target"] = .string(value)
            case "source": stat["lnk_source"] = .string(value)
            default: break
            }
        }
        return .dict(stat)
    }
}
