import Database
import Foundation
import ProvisionCore

/// `mysql_user`: an account with a password and privileges compared as sets.
///
/// Works on MySQL 8.0/8.4 (RDS) and MariaDB 10.11: `CREATE USER … IDENTIFIED BY` then
/// `GRANT` (MySQL 8 has no `GRANT … IDENTIFIED BY`), `ALTER USER … IDENTIFIED BY` for a new
/// password, no `FLUSH PRIVILEGES`. Whether the password differs is found without reading
/// it back: a `mysql_native_password` hash is compared with one computed locally; any other
/// plugin (`caching_sha2_password` is salted) is tested by logging in as the user with the
/// wanted password over the same route.
public struct MySQLUserModule: Module {
    public var name: String
    public var host: String
    public var password: Secret?
    /// Parsed `priv`; nil: privileges are not managed.
    public var privileges: [PrivilegeObject: Privileges.Request]?
    public var appendPrivileges: Bool
    public var state: String
    public var updatePassword: String
    public var login: MySQLLogin

    public static let spec = ModuleSpec(
        name: "mysql_user",
        parameters: [
            ParameterSpec("name", required: true, aliases: ["user"]),
            ParameterSpec("host"),
            ParameterSpec("password", secret: true),
            ParameterSpec("priv", .any),
            ParameterSpec("append_privs", .bool, default: false),
            ParameterSpec("state", choices: ["present", "absent"], default: "present"),
            ParameterSpec("update_password", choices: ["always", "on_create"], default: "always"),
        ] + MySQLLogin.parameters,
        runsOncePerPlay: true,
        make: { try MySQLUserModule($0) })

    public init(name: String, host: String = "%", password: Secret? = nil, priv: String? = nil, appendPrivileges: Bool = false,
                state: String = "present", updatePassword: String = "always", login: MySQLLogin) throws {
        self.name = try MySQLIdentifier.validateUser(name)
        self.host = try MySQLIdentifier.validateHost(host)
        self.password = password
        self.privileges = try priv.map(Privileges.parse)
        self.appendPrivileges = appendPrivileges
        self.state = state
        self.updatePassword = updatePassword
        self.login = login
    }

    public init(_ args: ModuleArguments) throws {
        var priv: String? = nil
        if let value = args.values["priv"], value != .null {
            switch value {
            case .dict(let entries):
                // Ansible's dict form: {'wordpress.*': 'ALL'}.
                priv = entries.keys.sorted().map { "\($0):\(entries[$0]!.text)" }.joined(separator: "/")
            case .list, .secret:
                throw args.error("priv", "must be a string like 'wordpress.*:ALL' or a mapping")
            default:
                priv = value.text
            }
        }
        do {
            try self.init(
                name: try args.requiredString("name"), host: try args.string("host").flatMap { $0.isEmpty ? nil : $0 } ?? "%",
                password: try args.secret("password"), priv: priv,
                appendPrivileges: try args.bool("append_privs"),
                state: try args.choice("state"),
                updatePassword: try args.choice("update_password"),
                login: try MySQLLogin(args))
        } catch let e as DatabaseError {
            throw InputError("mysql_user: \(e.message)", at: args.taskLocation)
        }
    }

    var account: String { "'\(name)'@'\(host)'" }

    public struct Plan: Sendable {
        public var create = false
        public var drop = false
        public var changePassword = false
        /// GRANT/REVOKE statements, in order.
        public var privilegeStatements: [String] = []
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan> {
        try MySQLModuleSupport.guarded {
            let session = try login.open(context)
            defer { session.close() }
            let client = session.admin!
            let rows = try client.query("""
                SELECT plugin, authentication_string FROM mysql.user
                WHERE User = \(client.literal(name)) AND Host = \(client.literal(host))
                """).rows
            let exists = !rows.isEmpty
            var plan = Plan()
            var summary: [String] = []

            if state == "absent" {
                guard exists else { return .ok("user \(account) is absent") }
                plan.drop = true
                return .change(summary: "drop user \(account)", plan: plan)
            }

            if !exists {
                plan.create = true
                summary.append("create user \(account)")
                if password == nil { context.warn("mysql_user: creating \(account) without a password") }
            } else if let password, updatePassword == "always" {
                if try passwordDiffers(password, plugin: rows[0][0] ?? "", stored: rows[0][1] ?? "", session: session, context: context) {
                    plan.changePassword = true
                    summary.append("change password of \(account)")
                }
            }

            if let privileges {
                let server = try ServerPrivileges.read(from: client)
                let desired = try Privileges.resolve(privileges, server: server)
                let current = exists ? try Privileges.current(of: name, host: host, client: client) : [:]
                let diff = Privileges.difference(current: current, desired: desired, append: appendPrivileges)
                plan.privilegeStatements = Privileges.statements(diff, account: account)
                for object in diff.revokes.keys.sorted() {
                    summary.append("revoke \(Privileges.display(diff.revokes[object]!, level: object.level, server: server)) on \(object) from \(account)")
                }
                for object in diff.grants.keys.sorted() {
                    summary.append("grant \(Privileges.display(diff.grants[object]!, level: object.level, server: server)) on \(object) to \(account)")
                }
            }

            if summary.isEmpty { return .ok("user \(account) is as wanted") }
            return .change(summary: summary.joined(separator: "; "), plan: plan)
        }
    }

    /// Never reads or prints the password: compares hashes computed locally, or logs in.
    func passwordDiffers(_ password: Secret, plugin: String, stored: String, session: MySQLSession, context: TaskContext) throws -> Bool {
        if plugin.isEmpty || plugin == "mysql_native_password", stored.hasPrefix("*"), stored.count == 41 {
            return NativePassword.hash(password) != stored.uppercased()
        }
        do {
            let probe = try session.connect(user: name, password: password)
            defer { probe.close() }
            let current = try probe.currentUser()
            if current.user == name && current.host == host { return false }
            context.warn("mysql_user: logging in as '\(name)' matched the account '\(current.user)'@'\(current.host)', not \(account); setting the password again")
            return true
        } catch let error as DatabaseError where error.isAccessDenied {
            return true
        }
    }

    public func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        try MySQLModuleSupport.guarded {
            let session = try login.open(context)
            defer { session.close() }
            let client = session.admin!
            let secrets = password.map { [$0] } ?? []
            var done: [String] = []
            if plan.drop {
                try client.execute("DROP USER \(account)")
                return TaskOutcome(changed: true, message: "dropped user \(account)")
            }
            // Race-safe: a concurrent run (instances pulling at boot) may have made the account
            // since the probe; then it is not ours to drop if a grant fails.
            var created = false
            if plan.create {
                let identified = password.map { " IDENTIFIED BY " + client.literal($0.reveal()) } ?? ""
                created = try ConcurrentCreation.run(ConcurrentCreation.createUser(account: account, identified: identified),
                                                     on: client, secrets: secrets) == .created
                done.append(created ? "created user \(account)" : "user \(account) was created meanwhile by another run")
            }
            if plan.changePassword, let password {
                try client.execute("ALTER USER \(account) IDENTIFIED BY " + client.literal(password.reveal()), secrets: secrets)
                done.append("changed password of \(account)")
            }
            do {
                for statement in plan.privilegeStatements { try client.execute(statement) }
            } catch {
                // Do not leave a new account without its grants behind.
                if created { _ = try? client.execute("DROP USER \(account)") }
                throw error
            }
            if !plan.privilegeStatements.isEmpty { done.append("updated privileges of \(account)") }
            return TaskOutcome(changed: true, message: done.joined(separator: "; "))
        }
    }
}
