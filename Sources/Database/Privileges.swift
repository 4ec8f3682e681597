import Foundation

/// What a grant applies to: `*.*`, `db.*` or `db.table`.
public struct PrivilegeObject: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// nil = `*` (all databases).
    public var database: String?
    /// nil = `*` (all tables of the database).
    public var table: String?

    public init(database: String?, table: String? = nil) {
        self.database = database
        self.table = table
    }

    public static let global = PrivilegeObject(database: nil, table: nil)

    public enum Level: Sendable { case global, database, table }
    public var level: Level { database == nil ? .global : (table == nil ? .database : .table) }

    /// As written in `priv`: `wordpress.*`.
    public var description: String { "\(database ?? "*").\(table ?? "*")" }

    /// As written in SQL: `` `wordpress`.* ``.
    public var sql: String {
        guard let database else { return "*.*" }
        return MySQLIdentifier.quote(database) + "." + (table.map(MySQLIdentifier.quote) ?? "*")
    }

    public static func < (a: PrivilegeObject, b: PrivilegeObject) -> Bool { a.description < b.description }
}

/// The privilege names a server knows at each level, read from the server itself so that
/// `ALL` means what it means there (MariaDB has DELETE HISTORY, MySQL 8 does not …).
public struct ServerPrivileges: Sendable, Equatable {
    /// Everything `GRANT ALL ON db.*` gives on this server (without GRANT OPTION).
    public var database: Set<String>
    /// Everything `GRANT ALL ON db.table` gives on this server (without GRANT OPTION).
    public var table: Set<String>

    public init(database: Set<String>, table: Set<String>) {
        self.database = database
        self.table = table
    }

    /// Reads the privilege columns of `mysql.db` and the values of `mysql.tables_priv.Table_priv`.
    public static func read(from client: MySQLClient) throws -> ServerPrivileges {
        let dbColumns = try client.query("""
            SELECT COLUMN_NAME FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = 'mysql' AND TABLE_NAME = 'db' AND COLUMN_NAME LIKE '%\\_priv'
            """).rows.compactMap { $0.first ?? nil }
        var database = Set(dbColumns.compactMap(privilegeName(dbColumn:)))
        database.remove("GRANT OPTION")
        let setType = try client.scalar("""
            SELECT COLUMN_TYPE FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = 'mysql' AND TABLE_NAME = 'tables_priv' AND COLUMN_NAME = 'Table_priv'
            """) ?? ""
        var table = Set(parseSetType(setType).map(privilegeName(tableSetValue:)))
        table.remove("GRANT OPTION")
        guard !database.isEmpty else {
            throw DatabaseError("cannot read the privileges this server knows (no access to mysql.db's columns?)")
        }
        return ServerPrivileges(database: database, table: table)
    }

    /// `Create_tmp_table_priv` -> `CREATE TEMPORARY TABLES`, `Lock_tables_priv` -> `LOCK TABLES`.
    static func privilegeName(dbColumn column: String) -> String? {
        guard column.hasSuffix("_priv") else { return nil }
        let base = String(column.dropLast("_priv".count))
        switch base.lowercased() {
        case "grant": return "GRANT OPTION"
        case "create_tmp_table": return "CREATE TEMPORARY TABLES"
        case "delete_history", "delete_versioning_rows": return "DELETE HISTORY"
        default: return base.replacingOccurrences(of: "_", with: " ").uppercased()
        }
    }

    /// `Show view` -> `SHOW VIEW`, `Delete versioning rows` -> `DELETE HISTORY`.
    static func privilegeName(tableSetValue value: String) -> String {
        switch value.lowercased() {
        case "grant": return "GRANT OPTION"
        case "delete versioning rows": return "DELETE HISTORY"
        default: return value.uppercased()
        }
    }

    /// `set('Select','Insert')` -> `["Select", "Insert"]`.
    static func parseSetType(_ type: String) -> [String] {
        guard let open = type.firstIndex(of: "("), let close = type.lastIndex(of: ")"), open < close else { return [] }
        return type[type.index(after: open)..<close].split(separator: ",").map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: "' "))
        }.filter { !$0.isEmpty }
    }

    public func all(for level: PrivilegeObject.Level) throws -> Set<String> {
        switch level {
        case .database: return database
        case .table: return table
        case .global:
            throw DatabaseError("ALL on *.* is not supported: list the global privileges you need (the RDS master user cannot grant SUPER)")
        }
    }
}

/// `priv` as Ansible writes it: `wordpress.*:ALL`, `db.*:SELECT,INSERT/otherdb.*:ALL,GRANT`.
public enum Privileges {
    /// One object's wanted privileges before `ALL` is expanded.
    public struct Request: Sendable, Equatable {
        public var privileges: Set<String>
        public var all: Bool
        public var grantOption: Bool
    }

    /// Parses and validates `priv`; nothing here needs a connection.
    public static func parse(_ text: String) throws -> [PrivilegeObject: Request] {
        var result: [PrivilegeObject: Request] = [:]
        let entries = text.split(separator: "/", omittingEmptySubsequences: true)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !entries.isEmpty else { throw DatabaseError("priv '\(text)' is empty; write it like 'wordpress.*:ALL'") }
        for entry in entries {
            guard let colon = entry.lastIndex(of: ":") else {
                throw DatabaseError("priv entry '\(entry)' has no ':'; write it like 'wordpress.*:ALL' or 'db.*:SELECT,INSERT'")
            }
            let object = try parseObject(String(entry[..<colon]).trimmingCharacters(in: .whitespaces))
            let list = entry[entry.index(after: colon)...].split(separator: ",").map {
                $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ").uppercased()
            }.filter { !$0.isEmpty }
            guard !list.isEmpty else { throw DatabaseError("priv entry '\(entry)' lists no privileges") }
            var request = result[object] ?? Request(privileges: [], all: false, grantOption: false)
            for name in list {
                switch name {
                case "ALL", "ALL PRIVILEGES": request.all = true
                case "GRANT", "GRANT OPTION": request.grantOption = true
                case "USAGE": break
                default:
                    guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == " ") }) else {
                        throw DatabaseError("privilege '\(name)' in priv entry '\(entry)' is not a privilege name (letters and spaces only)")
                    }
                    request.privileges.insert(name)
                }
            }
            result[object] = request
        }
        return result
    }

    /// `*.*`, `db.*`, `db.table`, with optional backticks around the names.
    static func parseObject(_ text: String) throws -> PrivilegeObject {
        let unquoted = text.replacingOccurrences(of: "`", with: "")
        let parts = unquoted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else {
            throw DatabaseError("priv object '\(text)' must be 'database.table', 'database.*' or '*.*'")
        }
        if parts[0] == "*" {
            guard parts[1] == "*" else { throw DatabaseError("priv object '\(text)': '*.table' is not a valid object") }
            return .global
        }
        try MySQLIdentifier.validateDatabase(parts[0], what: "database name in priv")
        if parts[1] == "*" { return PrivilegeObject(database: parts[0]) }
        try MySQLIdentifier.validateDatabase(parts[1], what: "table name in priv")
        return PrivilegeObject(database: parts[0], table: parts[1])
    }

    /// Expands `ALL` with what the server knows and checks that every privilege exists at
    /// its level. `GRANT OPTION` is a member of the resulting set.
    public static func resolve(_ requests: [PrivilegeObject: Request], server: ServerPrivileges) throws -> [PrivilegeObject: Set<String>] {
        var result: [PrivilegeObject: Set<String>] = [:]
        for (object, request) in requests {
            var set = request.privileges
            if request.all { set.formUnion(try server.all(for: object.level)) }
            if object.level != .global {
                let known = try server.all(for: object.level)
                if let unknown = set.subtracting(known).sorted().first {
                    throw DatabaseError("privilege '\(unknown)' does not exist for \(object) on this server (it knows: \(known.sorted().joined(separator: ", ")))")
                }
            }
            if request.grantOption { set.insert("GRANT OPTION") }
            result[object] = set
        }
        return result
    }

    /// Current privileges of `'user'@'host'` as sets per object, from information_schema
    /// (the same on MySQL and MariaDB, unlike `SHOW GRANTS` text). `USAGE` is no privilege.
    public static func current(of user: String, host: String, client: MySQLClient) throws -> [PrivilegeObject: Set<String>] {
        let grantee = client.literal(try MySQLIdentifier.account(user: user, host: host))
        var result: [PrivilegeObject: Set<String>] = [:]
        func add(_ object: PrivilegeObject, _ privilege: String?, _ grantable: String?) {
            var set = result[object] ?? []
            if let privilege, privilege.uppercased() != "USAGE" { set.insert(privilege.uppercased()) }
            if grantable?.uppercased() == "YES" { set.insert("GRANT OPTION") }
            if !set.isEmpty { result[object] = set }
        }
        for row in try client.query("SELECT PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = \(grantee)").rows {
            add(.global, row[0], row[1])
        }
        for row in try client.query("SELECT TABLE_SCHEMA, PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = \(grantee)").rows {
            guard let db = row[0] else { continue }
            add(PrivilegeObject(database: db), row[1], row[2])
        }
        for row in try client.query("SELECT TABLE_SCHEMA, TABLE_NAME, PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = \(grantee)").rows {
            guard let db = row[0], let table = row[1] else { continue }
            add(PrivilegeObject(database: db, table: table), row[2], row[3])
        }
        return result
    }

    /// What to grant and revoke per object to get from `current` to `desired`. With
    /// `append`, privileges not asked for are kept.
    public struct Difference: Sendable, Equatable {
        public var grants: [PrivilegeObject: Set<String>] = [:]
        public var revokes: [PrivilegeObject: Set<String>] = [:]
        public var isEmpty: Bool { grants.isEmpty && revokes.isEmpty }
    }

    public static func difference(current: [PrivilegeObject: Set<String>], desired: [PrivilegeObject: Set<String>], append: Bool) -> Difference {
        var diff = Difference()
        for object in Set(current.keys).union(desired.keys) {
            let have = current[object] ?? []
            let want = desired[object] ?? []
            let grant = want.subtracting(have)
            if !grant.isEmpty { diff.grants[object] = grant }
            if !append {
                let revoke = have.subtracting(want)
                if !revoke.isEmpty { diff.revokes[object] = revoke }
            }
        }
        return diff
    }

    /// `SELECT, INSERT` or `ALL` when the set is everything the level knows.
    public static func display(_ set: Set<String>, level: PrivilegeObject.Level, server: ServerPrivileges?) -> String {
        var plain = set
        let grantOption = plain.remove("GRANT OPTION") != nil
        var text: String
        if let server, level != .global, let all = try? server.all(for: level), !all.isEmpty, plain == all {
            text = "ALL"
        } else {
            text = plain.sorted().joined(separator: ",")
        }
        if grantOption { text += text.isEmpty ? "GRANT OPTION" : ",GRANT OPTION" }
        return text
    }

    /// GRANT/REVOKE statements for a difference (revokes first).
    public static func statements(_ diff: Difference, account: String) -> [String] {
        var out: [String] = []
        for object in diff.revokes.keys.sorted() {
            let privs = diff.revokes[object]!.sorted()
            out.append("REVOKE \(privs.joined(separator: ", ")) ON \(object.sql) FROM \(account)")
        }
        for object in diff.grants.keys.sorted() {
            var privs = diff.grants[object]!
            let grantOption = privs.remove("GRANT OPTION") != nil
            if privs.isEmpty {
                // Only the grant option is missing: USAGE keeps the other privileges as they are.
                out.append("GRANT USAGE ON \(object.sql) TO \(account) WITH GRANT OPTION")
            } else {
                out.append("GRANT \(privs.sorted().joined(separator: ", ")) ON \(object.sql) TO \(account)" + (grantOption ? " WITH GRANT OPTION" : ""))
            }
        }
        return out
    }
}
