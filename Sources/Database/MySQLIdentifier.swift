/// The one place names reach SQL: database, table, user and host names are validated
/// against a conservative character set and length, then quoted. Values (passwords) are
/// never pasted: they go through `MySQLClient.escape` inside single quotes.
///
/// Everything here runs before any connection is made, so a refused name never leaves
/// anything half-created.
public enum MySQLIdentifier {
    /// MySQL's limit for database and table names.
    public static let maxDatabaseLength = 64
    /// MySQL 8 allows 32 characters for user names (80 for some accounts), MariaDB 80; 32
    /// works everywhere, including RDS.
    public static let maxUserLength = 32
    public static let maxHostLength = 255

    private static func isNameCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "$" || c == "-")
    }

    private static func shown(_ name: String) -> String {
        // Show the offending name, escaped so control characters cannot garble the message.
        "'" + name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined() + "'"
    }

    /// A database (schema) name: 1–64 characters from `[A-Za-z0-9_$-]`.
    @discardableResult
    public static func validateDatabase(_ name: String, what: String = "database name") throws -> String {
        guard !name.isEmpty else { throw DatabaseError("\(what) must not be empty") }
        guard name.allSatisfy(isNameCharacter) else {
            throw DatabaseError("\(what) \(shown(name)) is refused: use only letters, digits, '_', '$' and '-' (no spaces, quotes, backticks, semicolons or dots)")
        }
        guard name.count <= maxDatabaseLength else {
            throw DatabaseError("\(what) \(shown(name)) is too long: \(name.count) characters, at most \(maxDatabaseLength)")
        }
        return name
    }

    /// A user name: 1–32 characters from `[A-Za-z0-9_$.-]`.
    @discardableResult
    public static func validateUser(_ name: String) throws -> String {
        guard !name.isEmpty else { throw DatabaseError("user name must not be empty") }
        guard name.allSatisfy({ isNameCharacter($0) || $0 == "." }) else {
            throw DatabaseError("user name \(shown(name)) is refused: use only letters, digits, '_', '$', '.' and '-' (no spaces, quotes, backticks, '@' or semicolons)")
        }
        guard name.count <= maxUserLength else {
            throw DatabaseError("user name \(shown(name)) is too long: \(name.count) characters, at most \(maxUserLength) (the limit MySQL 8, RDS and MariaDB share)")
        }
        return name
    }

    /// The host part of an account: `%`, a host name or address, with `%`/`_` wildcards
    /// or an `address/netmask`.
    @discardableResult
    public static func validateHost(_ host: String) throws -> String {
        guard !host.isEmpty else { throw DatabaseError("host must not be empty (use '%' for any host)") }
        guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".%_:/-".contains($0)) }) else {
            throw DatabaseError("host \(shown(host)) is refused: use a host name, an address, '%' wildcards or address/netmask (letters, digits and . % _ : / - only)")
        }
        guard host.count <= maxHostLength else {
            throw DatabaseError("host \(shown(host)) is too long: at most \(maxHostLength) characters")
        }
        return host
    }

    /// `` `name` `` — the name must have been validated; backticks are doubled anyway.
    public static func quote(_ name: String) -> String {
        "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
    }

    /// `'user'@'host'` for validated parts (their character sets exclude quotes and backslashes).
    public static func account(user: String, host: String) throws -> String {
        try validateUser(user)
        try validateHost(host)
        return "'\(user)'@'\(host)'"
    }
}
