import Foundation
import XCTest
@testable import Playbook
@testable import ProvisionCore

/// `lookup('env', …)` and `lookup('file', …)` on the controller, as templates use them.
final class TemplateLookupTests: XCTestCase {
    func render(_ text: String, _ variables: [String: Value] = [:]) throws -> Rendered {
        try TemplateEngine.render(text, variables: variables)
    }

    func testEnvironmentVariablesAndSecretsByName() throws {
        setenv("PROVISION_TEST_COLOR", "blue", 1)
        setenv("PROVISION_TEST_DB_PASSWORD", "hunter2-env", 1)
        defer { unsetenv("PROVISION_TEST_COLOR"); unsetenv("PROVISION_TEST_DB_PASSWORD") }
        XCTAssertEqual(try render("{{ lookup('env', 'PROVISION_TEST_COLOR') }}").text, "blue")
        XCTAssertEqual(try render("{{ lookup('env', 'PROVISION_TEST_UNSET_XYZ') }}").text, "")
        XCTAssertEqual(try render("{{ query('env', 'PROVISION_TEST_COLOR', 'PROVISION_TEST_UNSET_XYZ') | length }}").text, "2")
        let secret = try render("pw={{ lookup('env', 'PROVISION_TEST_DB_PASSWORD') }}")
        XCTAssertTrue(secret.containsSecret, "a secret by name must be marked so output masks it")
    }

    func testFilesBesideThePlaybookOrInTheRolesFiles() throws {
        let dir = NSTemporaryDirectory() + "lookup-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/files", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/role/files", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "ssh-ed25519 AAAA deploy\n".write(toFile: dir + "/files/key.pub", atomically: true, encoding: .utf8)
        try "from the role\n".write(toFile: dir + "/role/files/note.txt", atomically: true, encoding: .utf8)
        let vars: [String: Value] = ["playbook_dir": .string(dir), "role_path": .string(dir + "/role")]
        XCTAssertEqual(try render("{{ lookup('file', 'key.pub') }}", vars).text, "ssh-ed25519 AAAA deploy")
        XCTAssertEqual(try render("{{ lookup('file', 'note.txt') }}", vars).text, "from the role")
        XCTAssertThrowsError(try render("{{ lookup('file', 'nowhere.txt') }}", vars)) { error in
            XCTAssertTrue("\(error)".contains("lookup('file'): 'nowhere.txt' not found"), "\(error)")
        }
        XCTAssertThrowsError(try render("{{ lookup('pipe', 'id') }}", vars)) { error in
            XCTAssertTrue("\(error)".contains("lookup('pipe') is refused: it would run a shell command on the controller"), "\(error)")
        }
    }
}
