import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

/// Against a real MariaDB started by `MariaDBFixture` (skipped when it cannot start).
/// XCTest runs these synchronously on its own thread, never on the cooperative pool.
final class MySQLClientIntegrationTests: XCTestCase {
    func fixture() throws -> MariaDBFixture {
        guard let f = MariaDBFixture.shared else { throw Prerequisite.missing("MariaDB binaries missing or the server did not start") }
        return f
    }

    func testConnectVersionAndEscapingRoundTrip() throws {
        let db = try fixture()
        let client = try db.admin()
        defer { client.close() }
        XCTAssertEqual(client.flavor, .mariadb)
        XCTAssertTrue(client.serverVersion.contains("MariaDB"), client.serverVersion)
        XCTAssertFalse(client.usesTLS)
        for value in ["plain", "it's", "a \"quoted\" \\ back", "semi; -- comment $x", "nul\0byte", "ünïcødé 🔑", "\n\r\u{1A}", ""] {
            XCTAssertEqual(try client.scalar("SELECT \(client.literal(value))"), value, value.debugDescription)
        }
    }

    func testNativePasswordHashMatchesServer() throws {
        let db = try fixture()
        let client = try db.admin()
        defer { client.close() }
        let secret = Secret("p' \" \\ ; -- $ x")
        XCTAssertEqual(NativePassword.hash(secret), try client.scalar("SELECT PASSWORD(\(client.literal(secret.reveal())))"))
    }

    func testWrongPasswordIsOneClearLineWithoutThePassword() throws {
        let db = try fixture()
        var options = db.adminOptions()
        options.password = Secret("wrong-secret-123")
        XCTAssertThrowsError(try MySQLClient.connect(options)) { error in
            let text = "\(error)"
            XCTAssertEqual((error as? DatabaseError)?.code, 1045, text)
            XCTAssertTrue(text.contains("access denied for user 'admin'"), text)
            XCTAssertTrue(text.contains("require_secure_transport"), text)
            XCTAssertFalse(text.contains("wrong-secret-123"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }

    func testUnreachable() throws {
        _ = try fixture()
        let options = MySQLConnectOptions(host: "127.0.0.1", port: MariaDBFixture.freePort(), user: "admin", password: Secret("x"), connectTimeout: 2)
        XCTAssertThrowsError(try MySQLClient.connect(options)) { error in
            XCTAssertTrue("\(error)".hasPrefix("cannot reach MySQL at 127.0.0.1:"), "\(error)")
        }
    }

    func testTLSDirectVerifiesCAAndName() throws {
        let db = try fixture()
        let client = try MySQLClient.connect(db.adminOptions(tls: MySQLTLSOptions(caFile: db.caFile)))
        XCTAssertTrue(client.usesTLS)
        client.close()

        XCTAssertThrowsError(try MySQLClient.connect(db.adminOptions(tls: MySQLTLSOptions(caFile: db.wrongCAFile)))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("TLS failed"), text)
            XCTAssertTrue(text.contains(db.wrongCAFile), text)
        }
    }

    /// Through a tunnel the client connects to 127.0.0.1 but checks the real server name.
    func testTLSNameCheckedAgainstServerNameNotTunnelAddress() throws {
        let db = try fixture()
        let tunnel = try Forwarder(targetHost: "127.0.0.1", targetPort: db.port)
        defer { tunnel.close() }
        var options = db.adminOptions(tls: MySQLTLSOptions(caFile: db.caFile), serverName: MariaDBFixture.serverName)
        options.port = tunnel.localPort
        options.via = "web-1"
        let client = try MySQLClient.connect(options)
        XCTAssertTrue(client.usesTLS)
        client.close()

        options.serverName = "rds.example.com"
        XCTAssertThrowsError(try MySQLClient.connect(options)) { error in
            XCTAssertEqual("\(error)", "MySQL at rds.example.com:\(db.port) (through web-1): the server's TLS certificate is not valid for the name 'rds.example.com' (MySQL error 2026)")
        }
    }

    func testRequireSecureTransportHint() throws {
        let db = try fixture()
        let admin = try db.admin()
        defer { admin.close() }
        try admin.execute("SET GLOBAL require_secure_transport = ON")
        defer { _ = try? admin.execute("SET GLOBAL require_secure_transport = OFF") }
        XCTAssertThrowsError(try MySQLClient.connect(db.adminOptions())) { error in
            XCTAssertTrue("\(error)".contains("if the server requires TLS (require_secure_transport), do not set db_tls: disabled"), "\(error)")
        }
        let tls = try MySQLClient.connect(db.adminOptions(tls: MySQLTLSOptions(caFile: db.caFile)))
        XCTAssertTrue(tls.usesTLS)
        tls.close()
    }
}

final class MySQLModuleIntegrationTests: XCTestCase {
    var db: MariaDBFixture!

    override func setUpWithError() throws {
        guard let f = MariaDBFixture.shared else { throw Prerequisite.missing("MariaDB binaries missing or the server did not start") }
        db = f
        RouteCache.shared.reset()
    }

    func unique(_ prefix: String) -> String { prefix + "_" + String(UInt32.random(in: 0...UInt32.max), radix: 36) }

    enum Verdict: Equatable { case ok, change(String), skip }

    func decide<M: Module>(_ module: M, _ context: TaskContext) throws -> (Verdict, M.Plan?) {
        switch try module.decide(nil, context) {
        case .ok: return (.ok, nil)
        case .change(let summary, _, let plan, _): return (.change(summary), plan)
        case .skip: return (.skip, nil)
        }
    }

    /// Decide, apply when needed; the verdict.
    @discardableResult
    func run<M: Module>(_ module: M, _ context: TaskContext = makeDatabaseContext()) throws -> Verdict {
        let (verdict, plan) = try decide(module, context)
        if let plan { _ = try module.apply(plan, context) }
        return verdict
    }

    func testDatabaseCreateOkAlterDrop() throws {
        let name = unique("wp")
        let module = try MySQLDatabaseModule(name: name, login: db.login())

        // Check mode: decide only, nothing created.
        let (checked, _) = try decide(module, makeDatabaseContext(checkMode: true))
        XCTAssertEqual(checked, .change("create database \(name) (utf8mb4/utf8mb4_unicode_ci)"))
        let admin = try db.admin()
        defer { admin.close() }
        XCTAssertNil(try admin.scalar("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '\(name)'"))

        XCTAssertEqual(try run(module), .change("create database \(name) (utf8mb4/utf8mb4_unicode_ci)"))
        XCTAssertEqual(try run(module), .ok)

        // Changed outside: detected and altered.
        try admin.execute("ALTER DATABASE `\(name)` CHARACTER SET latin1 COLLATE latin1_swedish_ci")
        XCTAssertEqual(try run(module), .change("alter database \(name): latin1/latin1_swedish_ci -> utf8mb4/utf8mb4_unicode_ci"))
        XCTAssertEqual(try run(module), .ok)

        // The course's utf8 (utf8mb3 on the server) is stable too.
        let utf8 = try MySQLDatabaseModule(name: name, encoding: "utf8", collation: "utf8_general_ci", login: db.login())
        XCTAssertEqual(try run(utf8), .change("alter database \(name): utf8mb4/utf8mb4_unicode_ci -> utf8/utf8_general_ci"))
        XCTAssertEqual(try run(utf8), .ok)

        let absent = try MySQLDatabaseModule(name: name, state: "absent", login: db.login())
        XCTAssertEqual(try run(absent), .change("drop database \(name)"))
        XCTAssertEqual(try run(absent), .ok)
    }

    func testUserCreateGrantsPasswordAndIsolation() throws {
        let dbName = unique("wpdb"), other = unique("other"), user = unique("wp")
        let password = Secret("s3cret ' \" \\ ; -- $ and spaces")
        try run(try MySQLDatabaseModule(name: dbName, login: db.login()))
        try run(try MySQLDatabaseModule(name: other, login: db.login()))
        let module = try MySQLUserModule(name: user, password: password, priv: "\(dbName).*:ALL", login: db.login())

        let warnings = WarningLog()
        let (checked, _) = try decide(module, makeDatabaseContext(checkMode: true, warnings: warnings))
        XCTAssertEqual(checked, .change("create user '\(user)'@'%'; grant ALL on \(dbName).* to '\(user)'@'%'"))
        XCTAssertEqual(try run(module), checked)
        XCTAssertEqual(try run(module), .ok)

        // The user logs in with the password, uses its database, cannot touch another.
        let userClient = try MySQLClient.connect(MySQLConnectOptions(host: "127.0.0.1", port: db.port, user: user, password: password, database: dbName))
        try userClient.execute("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
        try userClient.execute("INSERT INTO t VALUES (1, 'x')")
        XCTAssertEqual(try userClient.scalar("SELECT v FROM t WHERE id = 1"), "x")
        XCTAssertThrowsError(try userClient.execute("CREATE TABLE `\(other)`.t (id INT)")) { error in
            XCTAssertTrue([1044, 1142].contains((error as? DatabaseError)?.code ?? 0), "\(error)")
        }
        XCTAssertThrowsError(try userClient.execute("USE `\(other)`"))
        userClient.close()

        // A changed password is detected (hash compared locally) and applied.
        let newPassword = Secret("n3w pa'ss\\word")
        let changed = try MySQLUserModule(name: user, password: newPassword, priv: "\(dbName).*:ALL", login: db.login())
        XCTAssertEqual(try run(changed), .change("change password of '\(user)'@'%'"))
        XCTAssertEqual(try run(changed), .ok)
        XCTAssertNoThrow(try MySQLClient.connect(MySQLConnectOptions(host: "127.0.0.1", port: db.port, user: user, password: newPassword)).close())

        // update_password: on_create leaves an existing password alone.
        let onCreate = try MySQLUserModule(name: user, password: Secret("other"), priv: "\(dbName).*:ALL", updatePassword: "on_create", login: db.login())
        XCTAssertEqual(try run(onCreate), .ok)

        // Privileges compared as sets: narrowing revokes, widening grants.
        let narrow = try MySQLUserModule(name: user, password: newPassword, priv: "\(dbName).*:SELECT,INSERT", login: db.login())
        guard case .change(let summary) = try run(narrow) else { return XCTFail("expected a change") }
        XCTAssertTrue(summary.hasPrefix("revoke "), summary)
        XCTAssertTrue(summary.contains("on \(dbName).* from '\(user)'@'%'"), summary)
        XCTAssertEqual(try run(narrow), .ok)
        let admin = try db.admin()
        defer { admin.close() }
        let current = try Privileges.current(of: user, host: "%", client: admin)
        XCTAssertEqual(current, [PrivilegeObject(database: dbName): ["SELECT", "INSERT"]])
        let wide = try MySQLUserModule(name: user, password: newPassword, priv: "\(dbName).*:ALL", login: db.login())
        guard case .change(let widened) = try run(wide) else { return XCTFail("expected a change") }
        XCTAssertTrue(widened.hasPrefix("grant ") && widened.contains("DROP"), widened)
        XCTAssertEqual(try run(wide), .ok)
        XCTAssertTrue(warnings.all.isEmpty, "\(warnings.all)")

        let absent = try MySQLUserModule(name: user, state: "absent", login: db.login())
        XCTAssertEqual(try run(absent), .change("drop user '\(user)'@'%'"))
        XCTAssertEqual(try run(absent), .ok)
    }

    func testPasswordCheckByLoggingInForSaltedPlugins() throws {
        let user = unique("salted")
        let password = Secret("pw ' \" \\ ; -- $")
        try run(try MySQLUserModule(name: user, password: password, login: db.login()))
        let module = try MySQLUserModule(name: user, password: password, login: db.login())
        let context = makeDatabaseContext()
        let session = try db.login().open(context)
        defer { session.close() }
        // As for caching_sha2_password: the stored value cannot be compared, so log in.
        XCTAssertFalse(try module.passwordDiffers(password, plugin: "caching_sha2_password", stored: "$A$005$salted", session: session, context: context))
        XCTAssertTrue(try module.passwordDiffers(Secret("not it"), plugin: "caching_sha2_password", stored: "$A$005$salted", session: session, context: context))
    }

    func testTunnelThroughFirstPlayHostWithTLS() throws {
        // db.test.internal does not resolve on the controller: the direct probe fails and
        // the step tunnels through the first play host, verifying the certificate's name.
        let login = MySQLLogin(host: MariaDBFixture.serverName, port: db.port, user: "admin", password: db.adminPassword,
                               caCert: db.caFile, connectTimeout: 5)
        let context = makeDatabaseContext(playHosts: ["web-1", "web-2"])
        XCTAssertEqual(try login.route(context), .tunnel(via: "web-1"))
        let name = unique("tun")
        let module = try MySQLDatabaseModule(name: name, login: login)
        XCTAssertEqual(try run(module, context), .change("create database \(name) (utf8mb4/utf8mb4_unicode_ci)"))
        XCTAssertEqual(try run(module, context), .ok)
        let session = try login.open(context)
        XCTAssertTrue(session.admin.usesTLS)
        XCTAssertEqual(session.via, "web-1")
        session.close()

        var wrongCA = login
        wrongCA.caCert = db.wrongCAFile
        XCTAssertThrowsError(try MySQLDatabaseModule(name: name, login: wrongCA).decide(nil, context)) { error in
            XCTAssertTrue(error is ModuleError)
            XCTAssertTrue("\(error)".contains("(through web-1): TLS failed"), "\(error)")
        }
    }

    func testFailuresLeaveNothingHalfCreated() throws {
        let name = unique("half")
        var badLogin = db.login()
        badLogin.password = Secret("wrong admin pw")
        XCTAssertThrowsError(try run(try MySQLUserModule(name: name, password: Secret("x"), priv: "\(name).*:ALL", login: badLogin))) { error in
            XCTAssertTrue(error is ModuleError)
            XCTAssertTrue("\(error)".contains("access denied"), "\(error)")
            XCTAssertFalse("\(error)".contains("wrong admin pw"), "\(error)")
        }
        // Unknown privilege: refused in decide, before the user is created.
        XCTAssertThrowsError(try run(try MySQLUserModule(name: name, password: Secret("x"), priv: "\(name).*:SELECT,FLY", login: db.login()))) { error in
            XCTAssertTrue("\(error)".contains("'FLY'"), "\(error)")
        }
        let admin = try db.admin()
        defer { admin.close() }
        XCTAssertNil(try admin.scalar("SELECT User FROM mysql.user WHERE User = '\(name)'"))

        var unreachable = db.login()
        unreachable.port = MariaDBFixture.freePort()
        XCTAssertThrowsError(try run(try MySQLDatabaseModule(name: name, login: unreachable))) { error in
            XCTAssertTrue("\(error)".hasPrefix("cannot reach MySQL at 127.0.0.1:"), "\(error)")
        }
    }
}
