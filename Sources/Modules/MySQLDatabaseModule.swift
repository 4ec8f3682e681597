import Database
import Foundation
import ProvisionCore

/// `mysql_db`: a database exists (or not) with the wanted encoding and collation.
///
/// Runs once per play on the controller, through the login route (direct or an SSH
/// tunnel); no shell probe: `decide` connects and reads `information_schema.SCHEMATA`.
public struct MySQLDatabaseModule: Module {
    public var name: String
    public var state: String
    public var encoding: String
    /// nil: the server's default collation for `encoding`.
    public var collation: String?
    public var login: MySQLLogin

    public static let spec = ModuleSpec(
        name: "mysql_db",
        parameters: [
            ParameterSpec("name", required: true, aliases: ["db"]),
            ParameterSpec("state", choices: ["present", "absent"], default: "present"),
            ParameterSpec("encoding"),
            ParameterSpec("collation"),
        ] + MySQLLogin.parameters,
        runsOncePerPlay: true,
        make: { try MySQLDatabaseModule($0) })

    public init(name: String, state: String = "present", encoding: String = "utf8mb4", collation: String? = nil, login: MySQLLogin) throws {
        self.name = try MySQLIdentifier.validateDatabase(name)
        self.state = state
        self.encoding = try Self.validateCharsetName(encoding, what: "encoding")
        let collation = collation ?? (encoding.lowercased() == "utf8mb4" ? "utf8mb4_unicode_ci" : nil)
        self.collation = try collation.map { try Self.validateCharsetName($0, what: "collation") }
        self.login = login
    }

    public init(_ args: ModuleArguments) throws {
        let name = try args.requiredString("name")
        do { try MySQLIdentifier.validateDatabase(name) } catch let e as DatabaseError { throw args.error("name", "is invalid: \(e.message)") }
        let encoding = try args.string("encoding").flatMap { $0.isEmpty ? nil : $0 } ?? "utf8mb4"
        let collation = try args.string("collation").flatMap { $0.isEmpty ? nil : $0 }
        do {
            try self.init(name: name, state: try args.choice("state"),
                          encoding: encoding, collation: collation, login: try MySQLLogin(args))
        } catch let e as DatabaseError {
            throw InputError("mysql_db: \(e.message)", at: args.taskLocation)
        }
    }

    static func validateCharsetName(_ value: String, what: String) throws -> String {
        guard !value.isEmpty, value.count <= 64, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw DatabaseError("\(what) '\(value)' is not a character set or collation name (letters, digits and '_')")
        }
        return value.lowercased()
    }

    /// `utf8` is `utf8mb3` on current servers; compare names the way the server reports them.
    static func normalized(_ name: String) -> String {
        let lower = name.lowercased()
        if lower == "utf8" { return "utf8mb3" }
        if lower.hasPrefix("utf8_") { return "utf8mb3_" + lower.dropFirst("utf8_".count) }
        return lower
    }

    public enum Plan: Sendable {
        case create, alter, drop
    }

    var wanted: String { "\(encoding)/\(collation ?? "default collation")" }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan> {
        try MySQLModuleSupport.guarded {
            let session = try login.open(context)
            defer { session.close() }
            let client = session.admin!
            let rows = try client.query("""
                SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA
                WHERE SCHEMA_NAME = \(client.literal(name))
                """).rows
            guard let row = rows.first else {
                return state == "present"
                    ? .change(summary: "create database \(name) (\(wanted))", plan: .create)
                    : .ok("database \(name) is absent")
            }
            if state == "absent" { return .change(summary: "drop database \(name)", plan: .drop) }
            let haveCharset = row[0] ?? "", haveCollation = row[1] ?? ""
            let charsetDiffers = Self.normalized(haveCharset) != Self.normalized(encoding)
            let collationDiffers = collation.map { Self.normalized($0) != Self.normalized(haveCollation) } ?? false
            if charsetDiffers || collationDiffers {
                return .change(summary: "alter database \(name): \(haveCharset)/\(haveCollation) -> \(wanted)", plan: .alter)
            }
            return .ok("database \(name) exists (\(haveCharset)/\(haveCollation))")
        }
    }

    public func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        try MySQLModuleSupport.guarded {
            let session = try login.open(context)
            defer { session.close() }
            let client = session.admin!
            let options = " CHARACTER SET \(encoding)" + (collation.map { " COLLATE \($0)" } ?? "")
            let quoted = MySQLIdentifier.quote(name)
            switch plan {
            case .create:
                // Race-safe: a concurrent run (instances pulling at boot) may have made it since the probe.
                switch try ConcurrentCreation.run(ConcurrentCreation.createDatabase(quotedName: quoted, options: options), on: client) {
                case .created: return TaskOutcome(changed: true, message: "created database \(name) (\(wanted))")
                case .alreadyThere: return TaskOutcome(changed: false, message: "database \(name) was created meanwhile by another run")
                }
            case .alter:
                try client.execute("ALTER DATABASE \(quoted)\(options)")
                return TaskOutcome(changed: true, message: "altered database \(name) to \(wanted)")
            case .drop:
                try client.execute("DROP DATABASE \(quoted)")
                return TaskOutcome(changed: true, message: "dropped database \(name)")
            }
        }
    }
}

enum MySQLModuleSupport {
    /// Database failures become one-line module errors (exit 2 through the engine).
    static func guarded<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DatabaseError {
            throw ModuleError(error.description)
        }
    }
}
