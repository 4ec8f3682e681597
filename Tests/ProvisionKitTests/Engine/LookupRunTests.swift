import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// `lookup()` through validate and the real engine: a file beside the playbook, and an
/// environment secret by name masked in the output.
final class LookupRunTests: XCTestCase {
    func testLookupsInAPlaybookValidateRunAndMask() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        try "motd text\n".write(toFile: local.directory + "/motd.txt", atomically: true, encoding: .utf8)
        setenv("PROVISION_RUN_API_TOKEN_SECRET", "tok-123-secret", 1)
        defer { unsetenv("PROVISION_RUN_API_TOKEN_SECRET") }
        let yaml = """
            - hosts: machines
              tasks:
                - name: file
                  copy: {dest: \(local.directory)/out, content: "{{ lookup('file', 'motd.txt') }}"}
                - name: env secret
                  debug: {msg: "token {{ lookup('env', 'PROVISION_RUN_API_TOKEN_SECRET') }}"}
            """
        let path = local.directory + "/site.yml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(RunPreflight.validate(playbook: try PlaybookLoader.load(path: path)).map(\.description), [])
        let (reporter, recap) = try local.run(path: path)
        XCTAssertEqual(recap.first?.1.failed, 0, "\(reporter.tasks.map { "\($0.task): \($0.message ?? "")" })")
        XCTAssertEqual(try String(contentsOfFile: local.directory + "/out", encoding: .utf8), "motd text")
        let shown = reporter.tasks.first { $0.task == "env secret" }?.message ?? ""
        XCTAssertFalse(shown.contains("tok-123"), shown)
    }
}
