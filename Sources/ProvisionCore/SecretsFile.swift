import Foundation

/// The controller-side file that holds a site's secrets: the DB passwords and the
/// WordPress keys and salts. Created 0600; generated values are made once and kept, so
/// every host (and every re-run) gets the same salts.
///
/// ```yaml
/// db_admin_password: "…"      # the RDS master password: you provide it
/// db_password: "…"            # generated when missing
/// wordpress_salts: {AUTH_KEY: "…", …}   # generated when missing
/// wordpress_admin_password: "…"       # generated when missing (the site's admin login)
/// ```
public enum SecretsFile {
    public static let saltNames = [
        "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
        "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT",
    ]

    /// The secrets provision makes itself when a playbook reads them and nothing defines
    /// them: created on first use, into the file, and never regenerated afterwards.
    public static let generatedNames: Set<String> = ["db_password", "wordpress_salts", "wordpress_admin_password"]

    /// Environment variables that override the file: name -> variable.
    public static let environment = [
        "PROVISION_DB_PASSWORD": "db_password",
        "PROVISION_DB_ADMIN_PASSWORD": "db_admin_password",
    ]

    /// Loads the file (every value becomes a `.secret`) and the environment overrides.
    /// A missing file gives only the environment's values.
    public static func load(path: String, environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> [String: Value] {
        var values: [String: Value] = [:]
        if FileManager.default.fileExists(atPath: path) {
            try checkPermissions(path)
            let loaded = try YAMLDocument.loadValue(path: path)
            switch loaded.value {
            case .null: break
            case .dict(let d): values = d.mapValues(secretValue)
            default: throw InputError("secrets file must be a mapping of names to values", at: loaded.location)
            }
        }
        values.merge(environmentValues(env)) { $1 }
        return values
    }

    /// The secrets the environment gives (`PROVISION_DB_PASSWORD`, …): over any other source.
    public static func environmentValues(_ env: [String: String] = ProcessInfo.processInfo.environment) -> [String: Value] {
        var values: [String: Value] = [:]
        for (variable, name) in environment {
            if let value = env[variable], !value.isEmpty { values[name] = .secret(Secret(value)) }
        }
        return values
    }

    /// `values` marked as secrets (masked in all output, never read as templates).
    public static func asSecrets(_ values: [String: Value]) -> [String: Value] { values.mapValues(secretValue) }

    static func secretValue(_ value: Value) -> Value {
        switch value {
        case .string, .int, .double, .bool: return .secret(Secret(value.text))
        case .list(let l): return .list(l.map(secretValue))
        case .dict(let d): return .dict(d.mapValues(secretValue))
        default: return value
        }
    }

    /// Refuses a file others can read: it holds the database's keys.
    static func checkPermissions(_ path: String) throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let mode = (attributes[.posixPermissions] as? Int) ?? 0
        if mode & 0o077 != 0 {
            throw InputError("secrets file \(path) is readable by others (mode \(String(mode, radix: 8)))",
                             hint: "run: chmod 600 \(path)")
        }
    }

    /// Creates the file or adds what is missing (db_password, the eight salts); never
    /// changes a value already there. Returns the names it added.
    @discardableResult
    public static func initialize(path: String) throws -> [String] {
        var text = ""
        var existing: [String: Value] = [:]
        if FileManager.default.fileExists(atPath: path) {
            try checkPermissions(path)
            text = try String(contentsOfFile: path, encoding: .utf8)
            if case .dict(let d) = try YAMLDocument.loadValue(path: path).value { existing = d }
            if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
        } else {
            text = "# provision secrets: keep this file, mode 0600. Never commit it.\n"
                + "# db_admin_password: the RDS master user's password (you set it when creating RDS)\n"
        }
        let missing = generatedNames.filter { existing[$0] == nil }
        guard !missing.isEmpty else { return [] }
        let added = missing.sorted()
        for (name, value) in generatedValues(for: missing).sorted(by: { $0.key < $1.key }) {
            switch value {
            case .dict(let salts):
                text += "\(name):\n"
                for salt in saltNames { text += "  \(salt): \(yamlQuoted(salts[salt]?.text ?? ""))\n" }
            default:
                text += "\(name): \(yamlQuoted(value.text))\n"
            }
        }
        try writePrivately(text, to: path)
        return added
    }

    /// Fresh values for the generated secrets among `names` (check mode uses them without
    /// writing the file).
    public static func generatedValues(for names: Set<String>) -> [String: Value] {
        var values: [String: Value] = [:]
        if names.contains("db_password") { values["db_password"] = .string(generate(length: 32)) }
        if names.contains("wordpress_admin_password") { values["wordpress_admin_password"] = .string(generate(length: 24)) }
        if names.contains("wordpress_salts") {
            values["wordpress_salts"] = .dict(Dictionary(uniqueKeysWithValues: saltNames.map { ($0, Value.string(generate(length: 64))) }))
        }
        return values
    }

    /// Writes `text` to a new file that is 0600 from its creation (open with O_EXCL and mode
    /// 0600, never a chmod afterwards), then renames it over `path`: never visible with wider
    /// rights or half-written.
    static func writePrivately(_ text: String, to path: String) throws {
        let directory = PathText.directory(of: path)
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let temporary = (directory.isEmpty ? "" : directory + "/") + ".\((path as NSString).lastPathComponent).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw InputError("cannot create secrets file \(path): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw InputError("cannot write secrets file \(path): \(reason)")
        }
    }

    /// What generated secrets are made of: letters and digits only, so a generated value
    /// needs no escaping anywhere it goes (shell, SQL, PHP, JSON — no `\/` —, YAML, HTML,
    /// URLs) and is never read as an option. 62 symbols: 32 characters are 190 bits, a
    /// 64-character salt 381.
    public static let generatedAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    /// Random text from the system's CSPRNG over `generatedAlphabet` (templates escape
    /// whatever the user puts in the file anyway).
    public static func generate(length: Int) -> String {
        let alphabet = generatedAlphabet
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }

    static func yamlQuoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
