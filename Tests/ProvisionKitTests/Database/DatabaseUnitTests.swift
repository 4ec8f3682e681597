import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

final class MySQLIdentifierTests: XCTestCase {
    func testValidNames() throws {
        XCTAssertEqual(try MySQLIdentifier.validateDatabase("wordpress"), "wordpress")
        XCTAssertEqual(try MySQLIdentifier.validateDatabase("wp_site-2$"), "wp_site-2$")
        XCTAssertEqual(try MySQLIdentifier.validateUser("wp.user"), "wp.user")
        XCTAssertEqual(try MySQLIdentifier.validateHost("%"), "%")
        XCTAssertEqual(try MySQLIdentifier.validateHost("10.0.%.%"), "10.0.%.%")
        XCTAssertEqual(try MySQLIdentifier.validateHost("10.0.0.0/255.255.0.0"), "10.0.0.0/255.255.0.0")
        XCTAssertEqual(MySQLIdentifier.quote("wp-db"), "`wp-db`")
        XCTAssertEqual(try MySQLIdentifier.account(user: "wp", host: "%"), "'wp'@'%'")
    }

    func testLengths() {
        XCTAssertNoThrow(try MySQLIdentifier.validateDatabase(String(repeating: "a", count: 64)))
        XCTAssertThrowsError(try MySQLIdentifier.validateDatabase(String(repeating: "a", count: 65))) {
            XCTAssertTrue("\($0)".contains("at most 64"), "\($0)")
        }
        XCTAssertNoThrow(try MySQLIdentifier.validateUser(String(repeating: "u", count: 32)))
        XCTAssertThrowsError(try MySQLIdentifier.validateUser(String(repeating: "u", count: 33))) {
            XCTAssertTrue("\($0)".contains("at most 32"), "\($0)")
        }
        XCTAssertThrowsError(try MySQLIdentifier.validateDatabase(""))
        XCTAssertThrowsError(try MySQLIdentifier.validateUser(""))
        XCTAssertThrowsError(try MySQLIdentifier.validateHost(""))
    }

    func testInjectionAttemptsAreRefused() {
        for bad in ["wp; DROP DATABASE mysql", "wp`", "wp'", "wp\"", "wp db", "wp\0", "wp.x", "wp\\", "wp--", "wp/*", "wördpress", "wp\n"] where bad != "wp--" {
            XCTAssertThrowsError(try MySQLIdentifier.validateDatabase(bad), bad) { error in
                XCTAssertTrue("\(error)".contains("refused"), "\(error)")
            }
        }
        for bad in ["wp'@'%", "wp;", "wp user", "wp`", "a@b", "x\\"] {
            XCTAssertThrowsError(try MySQLIdentifier.validateUser(bad), bad)
        }
        for bad in ["%' OR 1", "host;", "a b", "h`"] {
            XCTAssertThrowsError(try MySQLIdentifier.validateHost(bad), bad)
        }
        XCTAssertThrowsError(try MySQLIdentifier.validateDatabase("wp; DROP DATABASE mysql")) { error in
            XCTAssertEqual("\(error)", "database name 'wp; DROP DATABASE mysql' is refused: use only letters, digits, '_', '$' and '-' (no spaces, quotes, backticks, semicolons or dots)")
        }
    }

    func testModulesRefuseNamesBeforeConnecting() {
        // The login host does not exist: a refused name must fail before any connection.
        let login = MySQLLogin(host: "203.0.113.1", user: "admin", password: Secret("x"), connectTimeout: 1)
        XCTAssertThrowsError(try MySQLDatabaseModule(name: "wp; DROP DATABASE mysql", login: login))
        XCTAssertThrowsError(try MySQLUserModule(name: "wp; DROP DATABASE mysql", login: login))
        XCTAssertThrowsError(try MySQLUserModule(name: "wp", priv: "wp; DROP DATABASE mysql.*:ALL", login: login))
        XCTAssertThrowsError(try MySQLUserModule(name: "wp", priv: "wp.*:SELECT; DROP", login: login))
        XCTAssertThrowsError(try MySQLDatabaseModule(name: "wp", encoding: "utf8; DROP", login: login))
        let args = ModuleArguments(module: "mysql_db", values: ["name": .string("wp; DROP DATABASE mysql"), "login_host": .string("203.0.113.1")])
        XCTAssertThrowsError(try MySQLDatabaseModule.spec.make(args)) { error in
            XCTAssertTrue(error is InputError, "\(type(of: error))")
            XCTAssertTrue("\(error)".contains("refused"), "\(error)")
        }
    }
}

final class PrivilegeParsingTests: XCTestCase {
    let server = ServerPrivileges(database: ["SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "INDEX", "ALTER"],
                                  table: ["SELECT", "INSERT", "UPDATE", "DELETE"])

    func testParse() throws {
        let parsed = try Privileges.parse("wordpress.*:ALL")
        XCTAssertEqual(parsed[PrivilegeObject(database: "wordpress")], Privileges.Request(privileges: [], all: true, grantOption: false))

        let multi = try Privileges.parse("db.*:SELECT, insert/otherdb.*:ALL,GRANT/db.t1:select/*.*:PROCESS/`q`.*:lock  tables")
        XCTAssertEqual(multi.count, 5)
        XCTAssertEqual(multi[PrivilegeObject(database: "db")]?.privileges, ["SELECT", "INSERT"])
        XCTAssertEqual(multi[PrivilegeObject(database: "otherdb")]?.grantOption, true)
        XCTAssertEqual(multi[PrivilegeObject(database: "db", table: "t1")]?.privileges, ["SELECT"])
        XCTAssertEqual(multi[.global]?.privileges, ["PROCESS"])
        XCTAssertEqual(multi[PrivilegeObject(database: "q")]?.privileges, ["LOCK TABLES"])
        XCTAssertEqual(PrivilegeObject(database: "db", table: "t1").sql, "`db`.`t1`")
        XCTAssertEqual(PrivilegeObject.global.sql, "*.*")
    }

    func testParseErrors() {
        for bad in ["", "wordpress", "wordpress.*:", "*.t:SELECT", "a.b.c:SELECT", "wp.*:SELECT;DROP", "wp.*:SEL'ECT", "w p.*:ALL"] {
            XCTAssertThrowsError(try Privileges.parse(bad), bad)
        }
    }

    func testResolveAll() throws {
        let resolved = try Privileges.resolve(try Privileges.parse("wp.*:ALL,GRANT/t.x:ALL"), server: server)
        XCTAssertEqual(resolved[PrivilegeObject(database: "wp")], server.database.union(["GRANT OPTION"]))
        XCTAssertEqual(resolved[PrivilegeObject(database: "t", table: "x")], server.table)
        XCTAssertThrowsError(try Privileges.resolve(try Privileges.parse("*.*:ALL"), server: server)) {
            XCTAssertTrue("\($0)".contains("*.*"), "\($0)")
        }
        XCTAssertThrowsError(try Privileges.resolve(try Privileges.parse("wp.*:FLY"), server: server)) {
            XCTAssertTrue("\($0)".contains("'FLY'"), "\($0)")
        }
    }

    func testDifferenceAsSets() {
        let wp = PrivilegeObject(database: "wp"), other = PrivilegeObject(database: "other")
        let current: [PrivilegeObject: Set<String>] = [wp: ["SELECT", "INSERT", "DROP"], other: ["SELECT"]]
        let desired: [PrivilegeObject: Set<String>] = [wp: ["SELECT", "INSERT", "UPDATE"]]
        let diff = Privileges.difference(current: current, desired: desired, append: false)
        XCTAssertEqual(diff.grants, [wp: ["UPDATE"]])
        XCTAssertEqual(diff.revokes, [wp: ["DROP"], other: ["SELECT"]])
        XCTAssertEqual(Privileges.statements(diff, account: "'u'@'%'"), [
            "REVOKE SELECT ON `other`.* FROM 'u'@'%'",
            "REVOKE DROP ON `wp`.* FROM 'u'@'%'",
            "GRANT UPDATE ON `wp`.* TO 'u'@'%'",
        ])
        let appended = Privileges.difference(current: current, desired: desired, append: true)
        XCTAssertEqual(appended.revokes, [:])
        XCTAssertTrue(Privileges.difference(current: desired, desired: desired, append: false).isEmpty)
        // Order and spelling of the server's list do not matter: sets.
        XCTAssertTrue(Privileges.difference(current: [wp: ["INSERT", "SELECT"]], desired: [wp: ["SELECT", "INSERT"]], append: false).isEmpty)
        XCTAssertEqual(Privileges.display(server.database, level: .database, server: server), "ALL")
        XCTAssertEqual(Privileges.display(["SELECT", "GRANT OPTION"], level: .database, server: server), "SELECT,GRANT OPTION")
        let onlyGrant = Privileges.Difference(grants: [wp: ["GRANT OPTION"]], revokes: [:])
        XCTAssertEqual(Privileges.statements(onlyGrant, account: "'u'@'%'"), ["GRANT USAGE ON `wp`.* TO 'u'@'%' WITH GRANT OPTION"])
    }

    func testServerPrivilegeNames() {
        XCTAssertEqual(ServerPrivileges.privilegeName(dbColumn: "Create_tmp_table_priv"), "CREATE TEMPORARY TABLES")
        XCTAssertEqual(ServerPrivileges.privilegeName(dbColumn: "Lock_tables_priv"), "LOCK TABLES")
        XCTAssertEqual(ServerPrivileges.privilegeName(dbColumn: "Grant_priv"), "GRANT OPTION")
        XCTAssertEqual(ServerPrivileges.privilegeName(dbColumn: "Delete_history_priv"), "DELETE HISTORY")
        XCTAssertEqual(ServerPrivileges.parseSetType("set('Select','Insert','Create View')"), ["Select", "Insert", "Create View"])
    }

    func testRedaction() {
        let secret = Secret("p'w\\d")
        let text = "You have an error near 'IDENTIFIED BY 'p\\'w\\\\d'' at line 1 and p'w\\d"
        let redacted = MySQLClient.redact(text, [secret])
        XCTAssertFalse(redacted.contains("p'w"), redacted)
        XCTAssertFalse(redacted.contains("p\\'w"), redacted)
    }
}
