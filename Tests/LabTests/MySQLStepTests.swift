import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

/// The MySQL step against the lab's MariaDB, reached only through a web host.
/// Skipped when no lab is up. TLS-required tests need `scripts/lab db-restart --require-tls`
/// done by whoever runs the lab, and PROVISION_LAB_DB_REQUIRES_TLS=1.
final class MySQLStepTests: XCTestCase {
    override func setUpWithError() throws {
        guard MySQLLab.isUp else { throw Prerequisite.missing("no lab: \(MySQLLab.sshConfig) missing") }
        RouteCache.shared.reset()
    }

    /// Set when the whole suite runs against a DB already restarted with --require-tls.
    var requiresTLS: Bool { ProcessInfo.processInfo.environment["PROVISION_LAB_DB_REQUIRES_TLS"] == "1" }

    func labLogin(via: String? = nil) throws -> MySQLLogin {
        // When the lab DB requires TLS, every admin login must use the CA.
        try MySQLLab.login(via: via, caCert: requiresTLS ? MySQLLab.caFile : nil)
    }

    func unique(_ prefix: String) -> String { prefix + "_" + String(UInt32.random(in: 0...UInt32.max), radix: 36) }

    enum Verdict: Equatable { case ok, change(String), skip }

    @discardableResult
    func run<M: Module>(_ module: M, _ context: TaskContext, check: Bool = false) throws -> Verdict {
        switch try module.decide(nil, context) {
        case .ok: return .ok
        case .skip: return .skip
        case .change(let summary, _, let plan, _):
            if !check { _ = try module.apply(plan, context) }
            return .change(summary)
        }
    }

    /// The lab's admin is RDS's master user: what it may do is what the step may rely on.
    func testAdminHoldsTheRDSMasterUsersPrivilegesAndNoMore() throws {
        let session = try labLogin().open(MySQLLab.context())
        defer { session.close() }
        let admin = try session.connect(user: "admin", password: try MySQLLab.adminPassword())
        let grants = try admin.query("SHOW GRANTS FOR CURRENT_USER").rows.compactMap { $0.first ?? nil }.joined(separator: "\n")
        XCTAssertTrue(grants.contains("ON *.* TO `admin`@`%`"), grants)
        XCTAssertTrue(grants.contains("WITH GRANT OPTION"), grants)
        for privilege in ["CREATE USER", "RELOAD", "PROCESS", "REPLICATION SLAVE", "TRIGGER", "EVENT"] {
            XCTAssertTrue(grants.contains(privilege), "RDS's master user has \(privilege): \(grants)")
        }
        for privilege in ["SUPER", "FILE", "SHUTDOWN", "CREATE TABLESPACE", "ALL PRIVILEGES ON *.*"] {
            XCTAssertFalse(grants.contains(privilege), "RDS's master user has no \(privilege): \(grants)")
        }
        XCTAssertThrowsError(try admin.execute("SET GLOBAL max_connections = 200"), "SET GLOBAL needs SUPER, which RDS withholds")
        admin.close()
    }

    func testRouteTunnelsThroughFirstWebHost() throws {
        XCTAssertEqual(try labLogin().route(MySQLLab.context()), .tunnel(via: "web-1"))
    }

    func testFirstRunCreatesSecondRunOkChangesDetected() throws {
        let context = MySQLLab.context()
        let dbName = unique("wordpress"), other = unique("other"), user = unique("wp")
        let password = Secret("lab ' \" \\ ; -- $ pw")
        let db = try MySQLDatabaseModule(name: dbName, login: try labLogin())
        let otherDB = try MySQLDatabaseModule(name: other, login: try labLogin())
        let wp = try MySQLUserModule(name: user, password: password, priv: "\(dbName).*:ALL", login: try labLogin())

        // --check predicts without changing.
        XCTAssertEqual(try run(db, MySQLLab.context(checkMode: true), check: true), .change("create database \(dbName) (utf8mb4/utf8mb4_unicode_ci)"))
        XCTAssertEqual(try run(db, context), .change("create database \(dbName) (utf8mb4/utf8mb4_unicode_ci)"))
        try run(otherDB, context)
        XCTAssertEqual(try run(wp, context), .change("create user '\(user)'@'%'; grant ALL on \(dbName).* to '\(user)'@'%'"))

        XCTAssertEqual(try run(db, context), .ok)
        XCTAssertEqual(try run(wp, context), .ok)

        // The user logs in through the tunnel, uses its database, cannot touch another.
        let session = try labLogin().open(context)
        defer { session.close() }
        let asUser = try session.connect(user: user, password: password, database: dbName)
        try asUser.execute("CREATE TABLE posts (id INT PRIMARY KEY)")
        try asUser.execute("INSERT INTO posts VALUES (1)")
        XCTAssertEqual(try asUser.scalar("SELECT COUNT(*) FROM posts"), "1")
        XCTAssertThrowsError(try asUser.execute("CREATE TABLE `\(other)`.x (id INT)"))
        asUser.close()

        // Changed password and encoding: detected and applied, then ok.
        let newPassword = Secret("new ' pw \\ $")
        let changed = try MySQLUserModule(name: user, password: newPassword, priv: "\(dbName).*:ALL", login: try labLogin())
        XCTAssertEqual(try run(changed, context), .change("change password of '\(user)'@'%'"))
        XCTAssertEqual(try run(changed, context), .ok)
        XCTAssertNoThrow(try session.connect(user: user, password: newPassword).close())

        let latin = try MySQLDatabaseModule(name: dbName, encoding: "latin1", collation: "latin1_swedish_ci", login: try labLogin())
        XCTAssertEqual(try run(latin, context), .change("alter database \(dbName): utf8mb4/utf8mb4_unicode_ci -> latin1/latin1_swedish_ci"))
        XCTAssertEqual(try run(latin, context), .ok)

        // Clean up.
        try run(try MySQLUserModule(name: user, state: "absent", login: try labLogin()), context)
        try run(try MySQLDatabaseModule(name: dbName, state: "absent", login: try labLogin()), context)
        try run(try MySQLDatabaseModule(name: other, state: "absent", login: try labLogin()), context)
    }

    func testTLSWithCAVerifiesAndWrongCAFails() throws {
        guard let ca = MySQLLab.caFile else { throw Prerequisite.missing("no lab CA in \(MySQLLab.root)/tls") }
        let context = MySQLLab.context()
        let session = try MySQLLab.login(caCert: ca).open(context)
        XCTAssertTrue(session.admin.usesTLS)
        session.close()

        // A CA that did not sign the server's certificate.
        let wrong = NSTemporaryDirectory() + "wrong-ca-\(UUID().uuidString).pem"
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        make.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=wrong",
                          "-keyout", wrong + ".key", "-out", wrong]
        make.standardError = FileHandle.nullDevice
        try make.run(); make.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: wrong); try? FileManager.default.removeItem(atPath: wrong + ".key") }
        XCTAssertThrowsError(try MySQLDatabaseModule(name: "wordpress", login: try MySQLLab.login(caCert: wrong)).decide(nil, context)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("(through web-1): TLS failed"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }

    /// The server made to require TLS (require_secure_transport, as RDS can be): the default
    /// (db_tls: required) logs in over TLS through the tunnel; a login with TLS disabled gets
    /// 1045 with the hint; TLS with the lab CA verifies and works, a wrong CA fails.
    func testServerRequiringTLS() throws {
        let restarted = Lab.lab(["db-restart", "--require-tls"])
        XCTAssertEqual(restarted.status, 0, restarted.all)
        defer { Lab.lab(["db-restart"]) }
        let byDefault = try MySQLLab.login().open(MySQLLab.context())
        XCTAssertTrue(byDefault.admin.usesTLS, "the default must be TLS")
        byDefault.close()
        var plain = try MySQLLab.login()
        plain.tlsMode = .disabled
        XCTAssertThrowsError(try plain.open(MySQLLab.context())) { error in
            XCTAssertTrue("\(error)".contains("require_secure_transport"), "\(error)")
        }
        guard let ca = MySQLLab.caFile else { return XCTFail("no lab CA") }
        let session = try MySQLLab.login(caCert: ca, requireTLS: true).open(MySQLLab.context())
        XCTAssertTrue(session.admin.usesTLS)
        session.close()
        XCTAssertThrowsError(try MySQLLab.login(caCert: Lab.directory + "/tls/other-ca.pem", requireTLS: true).open(MySQLLab.context())) { error in
            XCTAssertTrue("\(error)".lowercased().contains("certificate") || "\(error)".contains("TLS"), "\(error)")
        }
    }

    func testOneClearErrorEachAndNothingHalfCreated() throws {
        let context = MySQLLab.context()
        let name = unique("half")
        let password = try MySQLLab.adminPassword()

        // Unreachable DB behind the web host.
        var unreachable = try labLogin(via: "web-1")
        unreachable.host = "10.0.20.99"
        unreachable.connectTimeout = 3
        XCTAssertThrowsError(try run(try MySQLDatabaseModule(name: name, login: unreachable), context)) { error in
            XCTAssertTrue("\(error)".hasPrefix("cannot reach MySQL at 10.0.20.99:3306 (through web-1)"), "\(error)")
        }

        // Wrong admin password.
        var wrong = try labLogin()
        wrong.password = Secret("definitely-wrong")
        XCTAssertThrowsError(try run(try MySQLUserModule(name: name, password: Secret("x"), priv: "\(name).*:ALL", login: wrong), context)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("access denied for user 'admin'"), text)
            XCTAssertFalse(text.contains("definitely-wrong") || text.contains(password.reveal()), text)
        }

        // Refused names: before connecting.
        XCTAssertThrowsError(try MySQLDatabaseModule(name: "wp; DROP DATABASE mysql", login: try labLogin()))
        XCTAssertThrowsError(try MySQLUserModule(name: "wp'@'%", login: try labLogin()))

        let session = try labLogin().open(context)
        defer { session.close() }
        XCTAssertNil(try session.admin.scalar("SELECT User FROM mysql.user WHERE User = \(session.admin.literal(name))"))
        XCTAssertNil(try session.admin.scalar("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = \(session.admin.literal(name))"))
    }
}
