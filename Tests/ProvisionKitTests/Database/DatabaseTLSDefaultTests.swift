import Foundation
import XCTest
@testable import ProvisionCore
@testable import Transport
@testable import Database
@testable import Cloud
@testable import Inventory
@testable import Playbook
@testable import Modules
@testable import Engine

/// Issue 17 item 8: TLS to the database is required by default, verified with a CA, and
/// off only when asked (with a warning).
final class DatabaseTLSDefaultTests: XCTestCase {
    func login(_ values: [String: Value]) throws -> MySQLLogin {
        try MySQLLogin(ModuleArguments(module: "mysql_db", values: ["login_password": "pw"].merging(values) { $1 }))
    }

    func testModeTable() throws {
        let table: [([String: Value], MySQLTLSMode, MySQLTLSOptions?)] = [
            ([:], .required, MySQLTLSOptions(caFile: nil, required: true, verify: false)),
            (["require_tls": false], .required, MySQLTLSOptions(caFile: nil, required: true, verify: false)),
            (["tls": "required"], .required, MySQLTLSOptions(caFile: nil, required: true, verify: false)),
            (["tls": ""], .required, MySQLTLSOptions(caFile: nil, required: true, verify: false)),
            (["ca_cert": "/ca.pem"], .verify, MySQLTLSOptions(caFile: "/ca.pem", required: true, verify: true)),
            (["tls": "required", "ca_cert": "/ca.pem"], .verify, MySQLTLSOptions(caFile: "/ca.pem", required: true, verify: true)),
            (["require_tls": true], .verify, MySQLTLSOptions(caFile: nil, required: true, verify: true)),
            (["tls": "verify"], .verify, MySQLTLSOptions(caFile: nil, required: true, verify: true)),
            (["tls": "disabled"], .disabled, nil),
            (["tls": "disabled", "ca_cert": "/ca.pem"], .disabled, nil),
        ]
        for (values, mode, options) in table {
            let l = try login(values)
            XCTAssertEqual(l.effectiveTLSMode, mode, "\(values)")
            XCTAssertEqual(l.tls, options, "\(values)")
        }
        XCTAssertThrowsError(try login(["tls": "sometimes"])) { error in
            XCTAssertTrue("\(error)".contains("tls"), "\(error)")
        }
        // The Swift API has the same default.
        XCTAssertEqual(MySQLLogin(host: "h", user: "u", password: Secret("p")).effectiveTLSMode, .required)
    }

    /// The built-in playbook passes `db_tls` (default `required`) to both MySQL tasks.
    func testBuiltInPlaybookDefaultsToRequired() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        let defaults = try YAMLDocument.loadValue(path: root + "/playbooks/group_vars/all.yml").value
        XCTAssertEqual(defaults.dictValue?["db_tls"], "required")
        let book = try PlaybookLoader.load(path: root + "/playbooks/database.yml")
        let tasks = book.plays.flatMap(\.tasks).filter { $0.module.hasPrefix("mysql_") }
        XCTAssertEqual(tasks.count, 2)
        for task in tasks {
            XCTAssertEqual(task.arguments["tls"], "{{ db_tls }}", task.name ?? task.module)
            XCTAssertNil(task.arguments["require_tls"], "require_tls: false would read as no TLS")
        }
    }

    /// Against a MariaDB with TLS (its certificate from a test CA) requiring secure transport:
    /// the default connects with TLS, `verify` with the CA too, `disabled` is refused by the server.
    func testDefaultConnectsWithTLSToAServerThatRequiresIt() throws {
        guard let db = MariaDBFixture.shared else { throw Prerequisite.missing("MariaDB binaries missing or the server did not start") }
        let admin = try db.admin()
        defer { admin.close() }
        try admin.execute("SET GLOBAL require_secure_transport = ON")
        defer { _ = try? admin.execute("SET GLOBAL require_secure_transport = OFF") }
        for (login, tls) in [(db.login(), true), (db.login(caCert: db.caFile), true)] {
            let client = try MySQLClient.connect(db.adminOptions(tls: login.tls, serverName: "127.0.0.1"))
            XCTAssertEqual(client.usesTLS, tls)
            XCTAssertNotNil(client.tlsCipher)
            client.close()
        }
        var disabled = db.login()
        disabled.tlsMode = .disabled
        XCTAssertThrowsError(try MySQLClient.connect(db.adminOptions(tls: disabled.tls)))
        // The wrong CA fails verification; `required` alone does not check it.
        var wrong = db.login(caCert: db.wrongCAFile)
        XCTAssertThrowsError(try MySQLClient.connect(db.adminOptions(tls: wrong.tls, serverName: "127.0.0.1")))
        wrong.tlsMode = .required
        wrong.caCert = nil
        XCTAssertNoThrow(try MySQLClient.connect(db.adminOptions(tls: wrong.tls)).close())
    }
}
