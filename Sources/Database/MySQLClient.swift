// MariaDB Connector/C 3.3 (Debian's libmariadb3, built with OpenSSL) behind a small safe API.
//
// TLS through a tunnel. The client connects to 127.0.0.1:<tunnel port>, but the certificate
// must name the real server (`login_host`: the RDS endpoint, 10.0.20.10, db.lab.internal).
// Connector/C 3.3 only checks the name it connected to (`mysql->host`) and has no option for
// another peer name. So:
//   * a CA (`ca_cert`, or the system's /etc/ssl/certs for `require_tls` alone) is always set
//     when TLS is wanted: Connector/C then verifies the chain during the handshake
//     (SSL_VERIFY_PEER) and fails the connect with CR_SSL_CONNECTION_ERROR (2026) otherwise;
//   * MYSQL_OPT_SSL_ENFORCE refuses a server without TLS;
//   * direct connections also set MYSQL_OPT_SSL_VERIFY_SERVER_CERT (name checked by
//     Connector/C before credentials are sent);
//   * tunneled connections turn that off and, right after mysql_real_connect, provision
//     checks the peer certificate of the connection's OpenSSL session against `login_host`
//     itself (X509_check_host / X509_check_ip_asc, in CMySQL's shim.h, through the structs
//     Connector/C publishes in ma_pvio.h/ma_tls.h), plus SSL_get_verify_result == X509_V_OK.
//     A mismatch closes the connection before any statement runs.
// Known limit: through a tunnel the name is checked after authentication, so a peer holding
// a certificate from the same CA for ANOTHER name would see the login exchange (a scramble
// for mysql_native_password; for caching_sha2_password full auth, the password inside TLS).
// Closing that gap needs pinning (MARIADB_OPT_TLS_PEER_FP after a pre-flight handshake) or a
// newer Connector/C; see the database notes in the final report.

import CMySQL
import Foundation
import ProvisionCore

#if canImport(Glibc)
import Glibc
#endif

/// A failure talking to MySQL/MariaDB: the server's (or client library's) error number and
/// one line a user can act on. Never contains a password: messages that could echo a
/// statement carrying one are redacted before they are built.
public struct DatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// MySQL error number (`ER_*` from the server, `CR_*` from the client library); 0 for
    /// problems provision finds itself (bad names, TLS name mismatch …).
    public var code: UInt32
    public var message: String

    public init(code: UInt32 = 0, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { code == 0 ? message : "\(message) (MySQL error \(code))" }

    /// Access denied (wrong user or password, or TLS required by the server).
    public var isAccessDenied: Bool { code == UInt32(ER_ACCESS_DENIED_ERROR) }
}

/// How the client protects the connection.
public struct MySQLTLSOptions: Sendable, Equatable {
    /// PEM bundle of CA certificates the server's certificate must chain to (e.g. RDS
    /// `global-bundle.pem`). Without it, the system's CA directory is used.
    public var caFile: String?
    /// Refuse to talk to a server without TLS.
    public var required: Bool
    /// Check the server's certificate (chain to `caFile` or the system's CAs, and its name).
    /// Without: TLS against eavesdroppers only (`db_tls: required`, MySQL's `--ssl-mode=REQUIRED`).
    public var verify: Bool

    public init(caFile: String? = nil, required: Bool = true, verify: Bool = true) {
        self.caFile = caFile
        self.required = required
        self.verify = verify
    }
}

/// Where and as whom to connect.
public struct MySQLConnectOptions: Sendable {
    /// The address the client connects to: the DB host itself, or 127.0.0.1 for a tunnel.
    public var host: String
    public var port: Int
    public var user: String
    public var password: Secret
    /// The server's real name (`login_host`): certificates are checked against it and
    /// messages name it, also when the TCP connection goes to a local tunnel.
    public var serverName: String
    public var serverPort: Int
    /// The host whose SSH session tunnels the connection, for messages.
    public var via: String?
    /// nil: no TLS (plain connection).
    public var tls: MySQLTLSOptions?
    public var connectTimeout: Int
    public var readTimeout: Int
    /// Default schema after login (nil: none).
    public var database: String?

    public init(
        host: String, port: Int, user: String, password: Secret, serverName: String? = nil, serverPort: Int? = nil,
        via: String? = nil, tls: MySQLTLSOptions? = nil, connectTimeout: Int = 10, readTimeout: Int = 30,
        database: String? = nil
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.serverName = serverName ?? host
        self.serverPort = serverPort ?? port
        self.via = via
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.database = database
    }

    /// "MySQL at db.example:3306 (through web-1)".
    public var endpointDescription: String {
        "MySQL at \(serverName):\(serverPort)" + (via.map { " (through \($0))" } ?? "")
    }
}

/// Which server implementation answers.
public enum MySQLFlavor: String, Sendable, Equatable {
    case mysql = "MySQL"
    case mariadb = "MariaDB"
}

/// What a query returned: column names and rows of text (NULL as nil).
public struct MySQLResult: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String?]]

    /// Rows as dictionaries keyed by column name (NULL columns are absent).
    public var records: [[String: String]] {
        rows.map { row in
            var record: [String: String] = [:]
            for (name, value) in zip(columns, row) { if let value { record[name] = value } }
            return record
        }
    }
}

/// Process-wide Connector/C set-up: `mysql_library_init` once, `mysql_thread_init` once per
/// thread that uses the library (with `mysql_thread_end` when that thread exits).
enum MySQLLibrary {
    private static let initialized: Bool = {
        // mysql_library_init is a macro for mysql_server_init.
        mysql_server_init(0, nil, nil) == 0
    }()

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { _ in mysql_thread_end() }
        return key
    }()

    /// Call before using the library on the current thread.
    static func prepareThread() throws {
        guard initialized else { throw DatabaseError("the MySQL client library failed to initialise") }
        if pthread_getspecific(threadKey) == nil {
            guard mysql_thread_init() == 0 else { throw DatabaseError("the MySQL client library failed to initialise this thread") }
            // Any non-nil value marks the thread; the destructor runs mysql_thread_end.
            pthread_setspecific(threadKey, UnsafeRawPointer(bitPattern: 1))
        }
    }
}

/// A connection to a MySQL or MariaDB server through MariaDB Connector/C.
///
/// Every call blocks: use it from a plain thread (the engine gives each host one), never
/// from Swift concurrency's cooperative pool. Calls are serialised by a lock, so an
/// instance may be handed between threads.
public final class MySQLClient: @unchecked Sendable {
    private let handle: UnsafeMutablePointer<MYSQL>
    private let lock = NSLock()
    private var closed = false

    public let options: MySQLConnectOptions
    /// `VERSION()` as the server reports it, e.g. `10.11.6-MariaDB-0+deb12u1` or `8.0.39`.
    public let serverVersion: String
    public let flavor: MySQLFlavor
    /// The TLS cipher in use; nil on a plain connection.
    public let tlsCipher: String?

    public var usesTLS: Bool { tlsCipher != nil }

    /// Connects and authenticates; with TLS, verifies the chain against the CA and the
    /// certificate's name against `options.serverName` before returning.
    public static func connect(_ options: MySQLConnectOptions) throws -> MySQLClient {
        try MySQLLibrary.prepareThread()
        guard let handle = mysql_init(nil) else { throw DatabaseError("out of memory creating a MySQL client") }
        do {
            let cipher = try configureAndConnect(handle, options)
            return MySQLClient(handle: handle, options: options, tlsCipher: cipher)
        } catch {
            mysql_close(handle)
            throw error
        }
    }

    private init(handle: UnsafeMutablePointer<MYSQL>, options: MySQLConnectOptions, tlsCipher: String?) {
        self.handle = handle
        self.options = options
        self.tlsCipher = tlsCipher
        let version = String(cString: mysql_get_server_info(handle))
        self.serverVersion = version
        self.flavor = version.lowercased().contains("mariadb") ? .mariadb : .mysql
    }

    deinit { close() }

    private static func configureAndConnect(_ handle: UnsafeMutablePointer<MYSQL>, _ options: MySQLConnectOptions) throws -> String? {
        var connectTimeout = NumberRules.clampedUInt32(max(1, options.connectTimeout))
        var readTimeout = NumberRules.clampedUInt32(max(1, options.readTimeout))
        var protocolTCP = UInt32(MYSQL_PROTOCOL_TCP.rawValue)
        mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout)
        mysql_options(handle, MYSQL_OPT_READ_TIMEOUT, &readTimeout)
        mysql_options(handle, MYSQL_OPT_WRITE_TIMEOUT, &readTimeout)
        mysql_options(handle, MYSQL_OPT_PROTOCOL, &protocolTCP)
        mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4")

        let tunneled = options.host != options.serverName
        if let tls = options.tls, !tls.verify {
            // Encrypted, not authenticated: no CA, no name check; TLS still enforced.
            var enforce: my_bool = tls.required ? 1 : 0
            mysql_options(handle, MYSQL_OPT_SSL_ENFORCE, &enforce)
            var verifyName: my_bool = 0
            mysql_options(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verifyName)
        } else if let tls = options.tls {
            // With a CA set, Connector/C verifies the chain during the handshake
            // (SSL_VERIFY_PEER). Without one, use the system's CA directory.
            if let ca = tls.caFile {
                guard FileManager.default.isReadableFile(atPath: ca) else {
                    throw DatabaseError("ca_cert \(ca) is not a readable file")
                }
                mysql_options(handle, MYSQL_OPT_SSL_CA, ca)
            } else {
                mysql_options(handle, MYSQL_OPT_SSL_CAPATH, "/etc/ssl/certs")
            }
            var enforce: my_bool = tls.required ? 1 : 0
            mysql_options(handle, MYSQL_OPT_SSL_ENFORCE, &enforce)
            // Connector/C checks the name against the address it connected to: right for a
            // direct connection (checked before credentials are sent); through a tunnel that
            // address is 127.0.0.1, so the name is checked below instead.
            var verifyName: my_bool = tunneled ? 0 : 1
            mysql_options(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verifyName)
        }

        let password = options.password.reveal()
        let connected = mysql_real_connect(
            handle, options.host, options.user, password, options.database, UInt32(options.port), nil,
            UInt(CLIENT_MULTI_RESULTS))
        guard connected != nil else {
            throw connectError(handle, options)
        }

        var cipher: String? = nil
        if let c = mysql_get_ssl_cipher(handle) { cipher = String(cString: c) }
        if let tls = options.tls {
            if cipher == nil {
                if tls.required {
                    throw DatabaseError("\(options.endpointDescription): TLS is required but the server did not use it")
                }
            } else if tls.verify {
                let verify = provision_mysql_tls_verify_result(handle)
                guard verify == 0 else {
                    throw DatabaseError(code: UInt32(CR_SSL_CONNECTION_ERROR),
                        "\(options.endpointDescription): the server's TLS certificate does not verify (X509 error \(verify))")
                }
                guard provision_mysql_tls_peer_matches(handle, options.serverName) == 1 else {
                    throw DatabaseError(code: UInt32(CR_SSL_CONNECTION_ERROR),
                        "\(options.endpointDescription): the server's TLS certificate is not valid for the name '\(options.serverName)'")
                }
            }
        }
        return cipher
    }

    private static func connectError(_ handle: UnsafeMutablePointer<MYSQL>, _ options: MySQLConnectOptions) -> DatabaseError {
        let code = mysql_errno(handle)
        let text = redact(String(cString: mysql_error(handle)), [options.password])
        let endpoint = options.endpointDescription
        switch Int32(code) {
        case ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
            var message = "\(endpoint): access denied for user '\(options.user)': \(text)"
            if options.tls == nil {
                message += "; if the server requires TLS (require_secure_transport), do not set db_tls: disabled (tls: disabled)"
            }
            return DatabaseError(code: code, message)
        case CR_CONN_HOST_ERROR, CR_CONNECTION_ERROR, CR_SERVER_LOST, CR_SERVER_GONE_ERROR, CR_UNKNOWN_HOST,
             CR_IPSOCK_ERROR:
            return DatabaseError(code: code, "cannot reach \(endpoint): \(text)")
        case CR_SSL_CONNECTION_ERROR:
            let hint = options.tls?.caFile.map { "is \($0) the CA that signed the server's certificate?" }
                ?? "set ca_cert to the CA bundle that signed the server's certificate"
            return DatabaseError(code: code, "\(endpoint): TLS failed: \(text); \(hint)")
        default:
            return DatabaseError(code: code, "\(endpoint): \(text)")
        }
    }

    /// Replaces every occurrence of a secret (raw, and as escaped inside SQL quotes) by `********`.
    static func redact(_ text: String, _ secrets: [Secret]) -> String {
        var out = text
        for secret in secrets {
            let raw = secret.reveal()
            guard !raw.isEmpty else { continue }
            for form in [raw, escapeForDisplay(raw)] where !form.isEmpty {
                out = out.replacingOccurrences(of: form, with: "********")
            }
        }
        return out
    }

    /// What `mysql_real_escape_string` makes of a value (for redaction only, no connection needed).
    static func escapeForDisplay(_ s: String) -> String { TextEscaping.sqlString(s) }

    // MARK: - Statements

    /// Escapes `value` for use INSIDE single quotes in a statement: `'\(escape(v))'`.
    /// Never use it for identifiers (see `MySQLIdentifier`).
    public func escape(_ value: String) -> String {
        lock.lock(); defer { lock.unlock() }
        let source = Array(value.utf8CString)  // NUL-terminated; embedded NULs kept
        let count = source.count - 1
        var buffer = [CChar](repeating: 0, count: count * 2 + 1)
        let length = mysql_real_escape_string(handle, &buffer, source, UInt(count))
        return String(decoding: buffer[0..<Int(length)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `'…'` with the value escaped by the client library.
    public func literal(_ value: String) -> String { "'" + escape(value) + "'" }

    /// Runs a statement that returns rows.
    public func query(_ sql: String, secrets: [Secret] = []) throws -> MySQLResult {
        lock.lock(); defer { lock.unlock() }
        try runLocked(sql, secrets: secrets)
        guard let result = mysql_store_result(handle) else {
            if mysql_field_count(handle) == 0 { return MySQLResult(columns: [], rows: []) }
            throw lastError(secrets)
        }
        defer { mysql_free_result(result) }
        let fieldCount = Int(mysql_num_fields(result))
        var columns: [String] = []
        if let fields = mysql_fetch_fields(result) {
            for i in 0..<fieldCount { columns.append(String(cString: fields[i].name)) }
        }
        var rows: [[String?]] = []
        while let row = mysql_fetch_row(result) {
            guard let lengths = mysql_fetch_lengths(result) else { break }
            var values: [String?] = []
            values.reserveCapacity(fieldCount)
            for i in 0..<fieldCount {
                if let cell = row[i] {
                    let buffer = UnsafeRawBufferPointer(start: cell, count: Int(lengths[i]))
                    values.append(String(decoding: buffer, as: UTF8.self))
                } else {
                    values.append(nil)
                }
            }
            rows.append(values)
        }
        return MySQLResult(columns: columns, rows: rows)
    }

    /// Runs a statement that returns no rows; the number of affected rows.
    /// `secrets` are masked in any error message (the server may quote the statement).
    @discardableResult
    public func execute(_ sql: String, secrets: [Secret] = []) throws -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        try runLocked(sql, secrets: secrets)
        if let result = mysql_store_result(handle) { mysql_free_result(result) }
        return mysql_affected_rows(handle)
    }

    /// Runs a statement and returns how many warnings it raised (`CREATE … IF NOT EXISTS` on
    /// something that exists raises one instead of failing).
    public func executeCountingWarnings(_ sql: String, secrets: [Secret] = []) throws -> UInt32 {
        lock.lock(); defer { lock.unlock() }
        try runLocked(sql, secrets: secrets)
        if let result = mysql_store_result(handle) { mysql_free_result(result) }
        return mysql_warning_count(handle)
    }

    private func runLocked(_ sql: String, secrets: [Secret]) throws {
        guard !closed else { throw DatabaseError("\(options.endpointDescription): connection already closed") }
        try MySQLLibrary.prepareThread()
        let bytes = Array(sql.utf8)
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mysql_real_query(handle, $0.baseAddress, UInt(bytes.count)) }
        }
        if status != 0 { throw lastError(secrets) }
    }

    private func lastError(_ secrets: [Secret]) -> DatabaseError {
        let code = mysql_errno(handle)
        let text = Self.redact(String(cString: mysql_error(handle)), secrets + [options.password])
        switch Int32(code) {
        case CR_SERVER_LOST, CR_SERVER_GONE_ERROR:
            return DatabaseError(code: code, "lost the connection to \(options.endpointDescription): \(text)")
        default:
            return DatabaseError(code: code, text)
        }
    }

    /// One text value: the first column of the first row.
    public func scalar(_ sql: String) throws -> String? {
        try query(sql).rows.first?.first ?? nil
    }

    /// `CURRENT_USER()` as `user@host` parts.
    public func currentUser() throws -> (user: String, host: String) {
        let value = try scalar("SELECT CURRENT_USER()") ?? ""
        guard let at = value.lastIndex(of: "@") else { return (value, "") }
        return (String(value[..<at]), String(value[value.index(after: at)...]))
    }

    public func close() {
        lock.lock(); defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        mysql_close(handle)
    }
}
