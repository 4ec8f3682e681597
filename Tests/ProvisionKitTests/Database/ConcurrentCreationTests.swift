import Foundation
import XCTest
@testable import Database
@testable import Modules
@testable import ProvisionCore

/// Issue 19, pull at boot: many instances run the MySQL step at once against one server.
final class ConcurrentCreationTests: XCTestCase {
    func testStatementsAreIfNotExists() {
        XCTAssertEqual(ConcurrentCreation.createDatabase(quotedName: "`wp`", options: " CHARACTER SET utf8mb4"),
                       "CREATE DATABASE IF NOT EXISTS `wp` CHARACTER SET utf8mb4")
        XCTAssertEqual(ConcurrentCreation.createUser(account: "'wp'@'%'", identified: " IDENTIFIED BY 'x'"),
                       "CREATE USER IF NOT EXISTS 'wp'@'%' IDENTIFIED BY 'x'")
    }

    func testErrorsOfAConcurrentCreatorMeanAlreadyThereOthersFail() throws {
        let table: [(UInt32, ConcurrentCreation.Outcome?)] = [
            (1007, .alreadyThere),   // ER_DB_CREATE_EXISTS
            (1396, .alreadyThere),   // ER_CANNOT_USER
            (1045, nil),             // access denied: a real failure
            (1044, nil),
            (2013, nil),             // lost connection
        ]
        for (code, expected) in table {
            let error = DatabaseError(code: code, "server said \(code)")
            if let expected {
                XCTAssertEqual(try ConcurrentCreation.outcome(of: error), expected, "\(code)")
            } else {
                XCTAssertThrowsError(try ConcurrentCreation.outcome(of: error), "\(code)")
            }
        }
        XCTAssertThrowsError(try ConcurrentCreation.outcome(of: ModuleError("not a database error")))
        XCTAssertEqual(ConcurrentCreation.outcome(warnings: 0), .created)
        XCTAssertEqual(ConcurrentCreation.outcome(warnings: 1), .alreadyThere)
    }
}

/// The race itself on a real server: 8 runs all probe "missing", then all create at once.
final class ConcurrentCreationIntegrationTests: XCTestCase {
    var db: MariaDBFixture!

    override func setUpWithError() throws {
        guard let f = MariaDBFixture.shared else { throw Prerequisite.missing("MariaDB binaries missing or the server did not start") }
        db = f
        RouteCache.shared.reset()
    }

    func applyAllAtOnce<M: Module>(_ modules: [M]) throws -> [Result<TaskOutcome, Error>] where M.Plan: Sendable {
        let context = makeDatabaseContext()
        let plans: [M.Plan] = try modules.map { module in
            guard case .change(_, _, let plan, _) = try module.decide(nil, context) else {
                XCTFail("expected every run to see something to create"); throw ModuleError("no plan")
            }
            return plan
        }
        let results = ResultBox(count: modules.count)
        DispatchQueue.concurrentPerform(iterations: modules.count) { index in
            results.set(index, Result { try modules[index].apply(plans[index], context) })
        }
        return results.all
    }

    func testEightConcurrentCreatorsAllSucceedWithOneDatabaseAndOneUser() throws {
        let name = "race_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let databases = try (0..<8).map { _ in try MySQLDatabaseModule(name: name, login: db.login()) }
        let dbResults = try applyAllAtOnce(databases)
        let dbOutcomes = try dbResults.map { try $0.get() }
        XCTAssertEqual(dbOutcomes.filter(\.changed).count, 1, dbOutcomes.map { $0.message ?? "" }.joined(separator: "\n"))

        let password = Secret("race pw 1234")
        let users = try (0..<8).map { _ in
            try MySQLUserModule(name: name, password: password, priv: "\(name).*:ALL", login: db.login())
        }
        let userOutcomes = try applyAllAtOnce(users).map { try $0.get() }
        XCTAssertEqual(userOutcomes.filter { $0.message?.contains("created user") ?? false }.count, 1,
                       userOutcomes.map { $0.message ?? "" }.joined(separator: "\n"))

        let admin = try db.admin()
        defer { admin.close() }
        XCTAssertEqual(try admin.scalar("SELECT COUNT(*) FROM mysql.user WHERE User = '\(name)'"), "1")
        let client = try MySQLClient.connect(MySQLConnectOptions(host: "127.0.0.1", port: db.port, user: name, password: password, database: name))
        try client.execute("CREATE TABLE t (id INT)")
        client.close()
        // And a re-run sees everything in place.
        let context = makeDatabaseContext()
        if case .change(let summary, _, _, _) = try users[0].decide(nil, context) { XCTFail("user not complete: \(summary)") }
        if case .change(let summary, _, _, _) = try databases[0].decide(nil, context) { XCTFail("database not complete: \(summary)") }
        _ = try admin.execute("DROP USER '\(name)'@'%'")
        _ = try admin.execute("DROP DATABASE `\(name)`")
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<TaskOutcome, Error>?]
    init(count: Int) { results = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ result: Result<TaskOutcome, Error>) { lock.lock(); results[index] = result; lock.unlock() }
    var all: [Result<TaskOutcome, Error>] { lock.lock(); defer { lock.unlock() }; return results.map { $0! } }
}
