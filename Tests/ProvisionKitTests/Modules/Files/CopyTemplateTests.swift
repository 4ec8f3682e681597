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

/// `copy` and `template` for real on temporary directories through LocalConnection.
final class FilesCopyTemplateTests: XCTestCase {
    var host: FileModuleDriver!
    override func setUpWithError() throws { host = try FileModuleDriver() }
    override func tearDown() { host.remove() }

    func testCopyContentConvergesWithOwnerAndMode() throws {
        let args: [String: Value] = ["dest": .string(host.path("motd")), "content": "hello\n", "owner": "www-data", "mode": "0640"]
        try host.assertConverges(CopyModule.spec, args, snapshot: { host.describe("motd") })
        XCTAssertEqual(try host.shell("stat -c '%U:%a' \(host.path("motd"))"), "www-data:640\n")
        XCTAssertEqual(host.read("motd"), "hello\n")
    }

    func testOnlyAttributesDifferMeansNoUpload() throws {
        try host.write("same", "same\n", mode: 0o600)
        let inodeBefore = try host.shell("stat -c %i \(host.path("same"))")
        let outcome = try host.run(CopyModule.spec, ["dest": .string(host.path("same")), "content": "same\n", "mode": "0644"])
        XCTAssertTrue(outcome.changed)
        XCTAssertTrue(outcome.message?.contains("mode 0600 -> 0644") == true, outcome.message ?? "")
        XCTAssertEqual(try host.shell("stat -c %i \(host.path("same"))"), inodeBefore, "chmod in place, no new file")
    }

    func testReplacingKeepsModeAndOwnerUnlessAsked() throws {
        try host.write("keep", "old\n", mode: 0o640)
        _ = try host.shell("chown www-data:www-data \(host.path("keep"))")
        var driver = host!
        driver.become = true
        XCTAssertTrue(try driver.run(CopyModule.spec, ["dest": .string(host.path("keep")), "content": "new\n"]).changed)
        XCTAssertEqual(try host.shell("stat -c '%U:%G:%a' \(host.path("keep"))"), "www-data:www-data:640\n")
    }

    func testCopyLocalSrcIntoDirectoryAndFromFilesDir() throws {
        try FileManager.default.createDirectory(atPath: host.path("files"), withIntermediateDirectories: true)
        try host.write("files/app.conf", "a=1\n")
        try FileManager.default.createDirectory(atPath: host.path("etc"), withIntermediateDirectories: true)
        try host.assertConverges(CopyModule.spec, ["src": "app.conf", "dest": .string(host.path("etc"))], snapshot: { host.describe("etc/app.conf") })
        XCTAssertEqual(host.read("etc/app.conf"), "a=1\n")
        XCTAssertThrowsError(try host.run(CopyModule.spec, ["src": "nope.conf", "dest": .string(host.path("etc"))])) { error in
            XCTAssertTrue("\(error)".contains("files/nope.conf"), "\(error)")
        }
    }

    func testValidateFailureLeavesDestinationAndNoTempFile() throws {
        try host.write("site.conf", "good\n")
        let args: [String: Value] = ["dest": .string(host.path("site.conf")), "content": "bad\n", "validate": "grep -q good %s"]
        XCTAssertThrowsError(try host.run(CopyModule.spec, args)) { error in
            XCTAssertTrue("\(error)".contains("validation"), "\(error)")
        }
        XCTAssertEqual(host.read("site.conf"), "good\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: host.directory).filter { $0.hasPrefix(".provision") }, [])
        let ok: [String: Value] = ["dest": .string(host.path("site.conf")), "content": "good too\n", "validate": "grep -q good %s", "mode": "0600"]
        try host.assertConverges(CopyModule.spec, ok, snapshot: { host.describe("site.conf") })
        XCTAssertEqual(try host.shell("stat -c %a \(host.path("site.conf"))"), "600\n")
        XCTAssertThrowsError(try host.module(CopyModule.spec, ["dest": "/x", "content": "y", "validate": "php -l"]), "validate without %s")
    }

    func testBackupKeepsTheOldFile() throws {
        try host.write("b.conf", "one\n")
        let outcome = try host.run(CopyModule.spec, ["dest": .string(host.path("b.conf")), "content": "two\n", "backup": true])
        guard case .string(let backup)? = outcome.registered["backup_file"] else { return XCTFail("no backup_file") }
        XCTAssertEqual(try String(contentsOfFile: backup, encoding: .utf8), "one\n")
        XCTAssertEqual(host.read("b.conf"), "two\n")
    }

    func testDiffShowsBeforeAndAfterAndSkipsBinary() throws {
        try host.write("d.txt", "a\nb\n")
        let outcome = try host.run(CopyModule.spec, ["dest": .string(host.path("d.txt")), "content": "a\nc\n"], check: true, diff: true)
        XCTAssertEqual(outcome.diff?.before, "a\nb\n")
        XCTAssertEqual(outcome.diff?.after, "a\nc\n")
        let unchanged = try host.run(CopyModule.spec, ["dest": .string(host.path("d.txt")), "content": "a\nb\n"], check: true, diff: true)
        XCTAssertFalse(unchanged.changed)
        XCTAssertNil(unchanged.diff)
        try Data([0, 1, 2, 255]).write(to: URL(fileURLWithPath: host.path("bin")))
        let binary = try host.run(CopyModule.spec, ["dest": .string(host.path("bin")), "content": "text\n"], check: true, diff: true)
        XCTAssertEqual(binary.diff?.before, "[binary: not shown]\n")
    }

    func testSecretContentIsNeverInTheDiff() throws {
        try host.write("key", "old-private-key\n")
        let outcome = try host.run(CopyModule.spec, ["dest": .string(host.path("key")), "content": .secret(Secret("new-private-key\n"))],
                                   check: true, diff: true)
        XCTAssertTrue(outcome.changed)
        XCTAssertFalse("\(outcome.diff!)".contains("private-key"))
        XCTAssertTrue(outcome.message?.contains("secrets masked") == true)
    }

    func testTemplateRendersFindsInTemplatesDirAndMasksSecretsInDiff() throws {
        try FileManager.default.createDirectory(atPath: host.path("templates"), withIntermediateDirectories: true)
        try host.write("templates/wp-config.php.j2", "<?php\ndefine('DB_NAME', '{{ db_name }}');\ndefine('DB_PASSWORD', '{{ db_password }}');\n")
        var driver = host!
        driver.variables = ["db_name": "wordpress", "db_password": .secret(Secret("n3w-s3cret-pw"))]
        try host.write("wp-config.php", "<?php\ndefine('DB_NAME', 'wordpress');\ndefine('DB_PASSWORD', 'old-s3cret-pw');\n")
        let args: [String: Value] = ["src": "wp-config.php.j2", "dest": .string(host.path("wp-config.php")), "mode": "0640",
                                     "validate": "grep -q DB_PASSWORD %s"]
        let predicted = try driver.run(TemplateModule.spec, args, check: true, diff: true)
        XCTAssertTrue(predicted.changed)
        let shown = (predicted.diff?.before ?? "") + (predicted.diff?.after ?? "")
        XCTAssertFalse(shown.contains("s3cret"), shown)
        XCTAssertTrue(shown.contains("define('DB_PASSWORD', '********');"), shown)
        XCTAssertTrue(shown.contains("define('DB_NAME', 'wordpress');"), shown)
        XCTAssertTrue(predicted.message?.contains("secrets masked") == true)
        XCTAssertTrue(try driver.run(TemplateModule.spec, args).changed)
        XCTAssertTrue(host.read("wp-config.php")?.contains("n3w-s3cret-pw") == true)
        XCTAssertFalse(try driver.run(TemplateModule.spec, args).changed)
        XCTAssertFalse(try driver.run(TemplateModule.spec, args, check: true).changed)
    }

    func testTemplateFreshTargetAndMissingTemplate() throws {
        try host.write("motd.j2", "Welcome to {{ site }}\n")
        var driver = host!
        driver.variables = ["site": "Sample 1a"]
        try driver.assertConverges(TemplateModule.spec, ["src": "motd.j2", "dest": .string(host.path("motd"))], snapshot: { host.describe("motd") })
        XCTAssertEqual(host.read("motd"), "Welcome to Sample 1a\n")
        XCTAssertThrowsError(try driver.run(TemplateModule.spec, ["src": "missing.j2", "dest": .string(host.path("x"))])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("tried"), text)
            XCTAssertTrue(text.contains("/templates/missing.j2"), text)
            XCTAssertEqual(text.components(separatedBy: "missing.j2").count - 1, 4, "names the three paths tried: \(text)")
        }
    }
}
