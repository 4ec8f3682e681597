import Foundation
import ProvisionCore

/// `user`: a local account present (uid, primary group, supplementary groups, shell, home,
/// comment, password hash) or absent. Probed with `getent passwd`, `id -Gn`, `getent group`
/// for every group named, and, when a password is given, a SHA-256 of the current shadow
/// hash computed on the host (the hash itself never leaves it). Applied with useradd/usermod/
/// userdel; a password only through `chpasswd -e` on stdin, never on a command line.
public struct UserModule: Module {
    public static let spec = ModuleSpec(
        name: "user", summary: "A local user present (uid, groups, shell, home, password hash) or absent.",
        parameters: [
            ParameterSpec("name", required: true, aliases: ["user"]),
            ParameterSpec("state", choices: ["present", "absent"], default: "present"),
            ParameterSpec("uid", .int),
            ParameterSpec("group"),
            ParameterSpec("groups", .list),
            ParameterSpec("append", .bool, default: false),
            ParameterSpec("shell"),
            ParameterSpec("home"),
            ParameterSpec("create_home", .bool, aliases: ["createhome"], default: true),
            ParameterSpec("system", .bool, default: false),
            ParameterSpec("comment"),
            ParameterSpec("remove", .bool, default: false),
            ParameterSpec("password", secret: true),
            ParameterSpec("update_password", choices: ["always", "on_create"], default: "always"),
        ],
        make: { try UserModule($0) })

    let name: String
    let present: Bool
    let uid: Int?
    let group: String?
    /// nil: supplementary groups are not managed; []: none (unless `append`).
    let groups: [String]?
    let append: Bool
    let shell: String?
    let home: String?
    let createHome: Bool
    let system: Bool
    let comment: String?
    let remove: Bool
    let password: Secret?
    let passwordOnCreateOnly: Bool

    init(_ args: ModuleArguments) throws {
        name = try args.requiredString("name")
        try Accounts.checkName(name, as: .user, args)
        present = try args.choice("state") == "present"
        uid = try Accounts.id(args, "uid")
        group = try args.string("group").flatMap { $0.isEmpty ? nil : $0 }
        if let group { try NameRules.check(group, as: .group, module: args.module, parameter: "group", at: args.locations["group"] ?? args.taskLocation) }
        var seen = Set<String>()
        groups = try args.list("groups")?.filter { seen.insert($0).inserted }
        for g in groups ?? [] {
            try NameRules.check(g, as: .group, module: args.module, parameter: "groups", at: args.locations["groups"] ?? args.taskLocation)
        }
        append = try args.bool("append")
        shell = try Accounts.passwdField(args, "shell")
        home = try Accounts.passwdField(args, "home")
        if let home, !home.hasPrefix("/") { throw args.error("home", "must be an absolute path, not '\(home)'") }
        comment = try Accounts.passwdField(args, "comment")
        createHome = try args.bool("create_home")
        system = try args.bool("system")
        remove = try args.bool("remove")
        password = try args.secret("password")
        if let password, let problem = Self.passwordProblem(password.reveal()) { throw args.error("password", problem) }
        passwordOnCreateOnly = try args.choice("update_password") == "on_create"
    }

    /// Why `hash` is not a crypt(3) hash chpasswd -e can store, or nil. Never repeats it.
    static func passwordProblem(_ hash: String) -> String? {
        if hash.isEmpty { return "is empty: give a crypt hash (e.g. from `mkpasswd -m sha-512`), or '!' for a locked password" }
        if hash.contains(":") || hash.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7f }) {
            return "must be a crypt hash: no ':', spaces, control or non-ASCII characters"
        }
        let locked = hash.drop(while: { $0 == "!" || $0 == "*" })
        let des = locked.count == 13 && locked.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "/") }
        if !(locked.isEmpty || locked.hasPrefix("$") || des) {
            return "does not look like a crypt hash: as in Ansible, password is the hash (e.g. from `mkpasswd -m sha-512`), not the clear text"
        }
        return nil
    }

    /// The groups the probe must look up: the primary group and every supplementary one.
    var namedGroups: [String] { (group.map { [$0] } ?? []) + (groups ?? []) }

    public func probe(_ context: TaskContext) throws -> String? {
        let n = Shell.quote(name)
        var lines = [
            "if p=$(getent passwd -- \(n) 2>/dev/null); then printf 'passwd=%s\\n' \"$p\"; printf 'id_groups=%s\\n' \"$(id -Gn -- \(n) 2>/dev/null)\"; fi",
            Accounts.groupProbe(name, key: "own_group"),
        ]
        lines += namedGroups.map { Accounts.groupProbe($0, key: "want_group") }
        if password != nil {
            // Only a digest of the current hash is printed: the hash stays on the host.
            lines.append("if s=$(getent shadow -- \(n) 2>/dev/null); then h=${s#*:}; h=${h%%:*}; "
                         + "printf 'shadow_sha256=%s\\n' \"$(printf '%s' \"$h\" | sha256sum | cut -d ' ' -f 1)\"; else echo shadow=unreadable; fi")
        }
        lines.append("true")
        return lines.joined(separator: "\n")
    }

    public struct Plan: Sendable {
        /// useradd/usermod/userdel, every word quoted; nil: only the password changes.
        var command: String?
        /// Set through `chpasswd -e` on stdin after the command.
        var password: Secret?
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan> {
        let fields = Accounts.fields(probe)
        let current = fields["passwd"]?.first.flatMap(Accounts.PasswdEntry.init)
        let n = Shell.quote(name)
        guard present else {
            guard current != nil else { return .ok("user \(name) is absent") }
            return .change(summary: "remove user \(name)" + (remove ? " and its home directory" : ""),
                           plan: Plan(command: "userdel " + (remove ? "-r " : "") + "-- \(n)"))
        }
        let known = Accounts.groups(fields, key: "want_group")
        // A group an earlier task creates is not there yet in check mode: predict, do not fail.
        var notYet: [String] = []
        func entry(_ group: String) throws -> Accounts.GroupEntry? {
            if let e = known[group] { return e }
            if context.checkMode { notYet.append(group); return nil }
            throw ModuleError("Group \(group) does not exist")
        }
        let wantedPrimary = try group.map { ($0, try entry($0)) }
        let wantedGroups = try (groups ?? []).map { g in (g, try entry(g)) }
        let wantedNames = wantedGroups.map { $0.1?.name ?? $0.0 }
        let note = notYet.isEmpty ? "" : " (group\(notYet.count > 1 ? "s" : "") \(notYet.joined(separator: ", ")) not there yet)"

        guard let current else {
            var words = ["useradd"]
            var details: [String] = []
            if let uid { words += ["-u", String(uid)]; details.append("uid \(uid)") }
            if let group {
                words += ["-g", Shell.quote(group)]
                details.append("group \(group)")
            } else if fields["own_group"] != nil {
                // As Ansible: a group named like the user exists, so useradd must not try to create it.
                words.append("-N")
            }
            if !wantedNames.isEmpty {
                words += ["-G", Shell.quote(wantedNames.joined(separator: ","))]
                details.append("groups \(wantedNames.joined(separator: ","))")
            }
            if let comment { words += ["-c", Shell.quote(comment)]; details.append("comment '\(comment)'") }
            if let home { words += ["-d", Shell.quote(home)]; details.append("home \(home)") }
            if let shell { words += ["-s", Shell.quote(shell)]; details.append("shell \(shell)") }
            words.append(createHome ? "-m" : "-M")
            details.append(createHome ? "create home" : "no home")
            if system { words.append("-r"); details.append("system") }
            if password != nil { details.append("password set") }
            words += ["--", n]
            return .change(summary: "create user \(name) (\(details.joined(separator: ", ")))" + note,
                           plan: Plan(command: words.joined(separator: " "), password: password))
        }

        var words: [String] = []
        var changes: [String] = []
        if let uid, uid != current.uid {
            words += ["-u", String(uid)]
            changes.append("uid \(current.uid) -> \(uid)")
        }
        let idGroups = (fields["id_groups"]?.first ?? "").split(separator: " ").map(String.init)
        let currentPrimaryName = idGroups.first ?? String(current.gid)
        if let (wanted, e) = wantedPrimary, e?.gid != current.gid {
            words += ["-g", Shell.quote(wanted)]
            changes.append("primary group \(currentPrimaryName) -> \(wanted)")
        }
        if groups != nil {
            // The primary group is not a supplementary one, whether or not it is listed.
            let primary = wantedPrimary.map { $0.1?.name ?? $0.0 } ?? currentPrimaryName
            let have = Set(idGroups.dropFirst()).subtracting([primary])
            let want = Set(wantedNames).subtracting([primary])
            let added = wantedNames.filter { want.contains($0) && !have.contains($0) }
            let removed = append ? [] : idGroups.dropFirst().filter { have.contains($0) && !want.contains($0) }
            if !added.isEmpty || !removed.isEmpty {
                words += (append ? ["-a"] : []) + ["-G", Shell.quote(wantedNames.joined(separator: ","))]
                changes.append("groups " + (added.map { "+\($0)" } + removed.map { "-\($0)" }).joined(separator: " "))
            }
        }
        if let comment, comment != current.comment {
            words += ["-c", Shell.quote(comment)]
            changes.append("comment '\(current.comment)' -> '\(comment)'")
        }
        if let home, home != current.home {
            words += ["-d", Shell.quote(home)]
            changes.append("home \(current.home) -> \(home)")
        }
        if let shell, shell != current.shell {
            words += ["-s", Shell.quote(shell)]
            changes.append("shell \(current.shell) -> \(shell)")
        }
        var newPassword: Secret?
        if let password, !passwordOnCreateOnly {
            guard let digest = fields["shadow_sha256"]?.first else {
                throw ModuleError("cannot read the shadow entry of \(name) on \(context.hostName) to compare its password"
                                  + (context.become ? "" : " (try become: true)"))
            }
            if digest != SHA256.hex(Data(password.reveal().utf8)) {
                newPassword = password
                changes.append("password changed")
            }
        }
        guard !changes.isEmpty else { return .ok("user \(name) is as wanted (uid \(current.uid))") }
        let command = words.isEmpty ? nil : (["usermod"] + words + ["--", n]).joined(separator: " ")
        return .change(summary: "user \(name): " + changes.joined(separator: ", ") + note, plan: Plan(command: command, password: newPassword))
    }

    /// Sets a password hash without it reaching any process's arguments: `chpasswd -e`
    /// reads `name:hash` on stdin. Without chpasswd the task fails rather than use `usermod -p`.
    static let chpasswd = """
        if ! command -v chpasswd >/dev/null 2>&1; then
          echo 'chpasswd not found: provision sets a password only through chpasswd -e on stdin, never on a command line' >&2
          exit 127
        fi
        chpasswd -e
        """

    public func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        if let command = plan.command { try context.run(command, what: "user \(name)") }
        if let password = plan.password {
            try context.run(Self.chpasswd, stdin: Data("\(name):\(password.reveal())\n".utf8), what: "setting the password of \(name)")
        }
        return TaskOutcome(changed: true)
    }
}
