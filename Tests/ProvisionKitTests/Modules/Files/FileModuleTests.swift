import Foundation
import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

/// `file` for real on temporary directories through LocalConnection.
final class FilesFileModuleTests: XCTestCase {
    var host: FileModuleDriver!
    override func setUpWithError() throws { host = try FileModuleDriver() }
    override func tearDown() { host.remove() }

    func testDirectoryWithOwnerAndMode() throws {
        let p = host.path("site/uploads")
        try host.assertConverges(FileModule.spec, ["path": .string(p), "state": "directory", "owner": "www-data", "group": "www-data", "mode": "0750"],
                                 snapshot: { host.describe("site/uploads") })
        XCTAssertEqual(try host.shell("stat -c '%U:%G:%a' \(p)"), "www-data:www-data:750\n")
    }

    func testAbsentRemovesATree() throws {
        _ = try host.shell("mkdir -p \(host.path("gone/a/b")) && touch \(host.path("gone/a/b/c"))")
        try host.assertConverges(FileModule.spec, ["path": .string(host.path("gone")), "state": "absent"], snapshot: { host.describe("gone") })
        XCTAssertFalse(FileManager.default.fileExists(atPath: host.path("gone")))
        XCTAssertFalse(try host.run(FileModule.spec, ["path": .string(host.path("never")), "state": "absent"]).changed)
        XCTAssertThrowsError(try host.module(FileModule.spec, ["path": "/", "state": "absent"]))
    }

    func testRecurseFindsOneDeepMismatchAndFixesAll() throws {
        let root = host.path("www")
        _ = try host.shell("mkdir -p \(root)/a/b && touch \(root)/index.php \(root)/a/b/deep.php && chown -R www-data:www-data \(root)")
        let args: [String: Value] = ["path": .string(root), "state": "directory", "owner": "www-data", "group": "www-data", "recurse": true]
        XCTAssertFalse(try host.run(FileModule.spec, args).changed, "converged tree is ok")
        _ = try host.shell("chown root \(root)/a/b/deep.php")
        XCTAssertTrue(try host.run(FileModule.spec, args, check: true).changed, "check mode sees the one deep file")
        XCTAssertEqual(try host.shell("stat -c %U \(root)/a/b/deep.php"), "root\n")
        XCTAssertTrue(try host.run(FileModule.spec, args).changed)
        XCTAssertEqual(try host.shell("find \(root) ! -user www-data | wc -l"), "0\n")
        XCTAssertFalse(try host.run(FileModule.spec, args).changed)
    }

    func testRecurseWithSymbolicMode() throws {
        let root = host.path("tree")
        _ = try host.shell("mkdir -p \(root)/d && touch \(root)/f \(root)/d/g && chmod 700 \(root)/d && chmod 600 \(root)/f && chmod 755 \(root)/d/g")
        try host.assertConverges(FileModule.spec, ["path": .string(root), "state": "directory", "recurse": true, "mode": "u=rwX,g=rX,o=rX"],
                                 snapshot: { (try? host.shell("find \(root) -printf '%p %m\\n' | sort")) ?? "" })
        XCTAssertEqual(try host.shell("stat -c %a \(root)/d \(root)/f \(root)/d/g"), "755\n644\n755\n")
    }

    func testFileStateOnlyChangesAttributesAndFailsWhenMissing() throws {
        try host.write("conf", "x\n", mode: 0o600)
        try host.assertConverges(FileModule.spec, ["path": .string(host.path("conf")), "mode": "0640", "group": "www-data"],
                                 snapshot: { host.describe("conf") })
        XCTAssertEqual(host.read("conf"), "x\n")
        XCTAssertThrowsError(try host.run(FileModule.spec, ["path": .string(host.path("missing"))])) { error in
            XCTAssertTrue("\(error)".contains("absent"), "\(error)")
        }
    }

    func testTouchAlwaysChanges() throws {
        let args: [String: Value] = ["path": .string(host.path("t")), "state": "touch", "mode": "0600"]
        XCTAssertTrue(try host.run(FileModule.spec, args, check: true).changed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: host.path("t")))
        XCTAssertTrue(try host.run(FileModule.spec, args).changed)
        XCTAssertEqual(try host.shell("stat -c %a \(host.path("t"))"), "600\n")
        XCTAssertTrue(try host.run(FileModule.spec, args).changed)
    }

    func testLinks() throws {
        try host.write("target-a", "a")
        try host.write("target-b", "b")
        try host.assertConverges(FileModule.spec, ["path": .string(host.path("current")), "src": .string(host.path("target-a")), "state": "link"],
                                 snapshot: { host.describe("current") })
        try host.assertConverges(FileModule.spec, ["path": .string(host.path("current")), "src": "target-b", "state": "link"],
                                 snapshot: { host.describe("current") })
        XCTAssertEqual(host.read("current"), "b")
        XCTAssertThrowsError(try host.run(FileModule.spec, ["path": .string(host.path("target-a")), "src": "target-b", "state": "link"]),
                             "a file is not replaced by a link without force")
        XCTAssertThrowsError(try host.run(FileModule.spec, ["path": .string(host.path("dangling")), "src": "nowhere", "state": "link"]))
        XCTAssertTrue(try host.run(FileModule.spec, ["path": .string(host.path("dangling")), "src": "nowhere", "state": "link", "force": true]).changed)
    }

    func testDiffShowsStates() throws {
        let outcome = try host.run(FileModule.spec, ["path": .string(host.path("d")), "state": "directory"], check: true, diff: true)
        XCTAssertEqual(outcome.diff?.before, "path: \(host.path("d"))\nstate: absent\n")
        XCTAssertEqual(outcome.diff?.after, "path: \(host.path("d"))\nstate: directory\n")
    }

    func testPathsWithShellCharactersAreQuoted() throws {
        let name = "we ird'$(touch pwned);`x`"
        try host.assertConverges(FileModule.spec, ["path": .string(host.path(name)), "state": "directory"], snapshot: { host.describe(name) })
        XCTAssertFalse(FileManager.default.fileExists(atPath: host.path("pwned")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "pwned"))
    }
}
