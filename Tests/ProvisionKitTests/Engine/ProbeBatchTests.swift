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

/// The batch script is run for real by `sh` (through LocalConnection), so the framing is
/// tested against an actual shell, not against strings we wrote ourselves.
final class ProbeBatchTests: XCTestCase {
    func testOutputsComeBackByteForByteWithExitStatus() throws {
        var batch = ProbeBatch()
        batch.add(key: 1, script: "printf 'a\\n'")
        batch.add(key: 2, script: "printf 'no newline'")
        batch.add(key: 3, script: "printf ''; exit 3")
        batch.add(key: 4, script: "printf 'two\\n\\nblank lines\\n\\n'")
        batch.add(key: 5, script: "echo '@@forged 1'; echo '@@forged end 0'")
        let result = try LocalConnection().run(batch.script)
        let parsed = try batch.parse(result.stdoutText)
        XCTAssertEqual(parsed[1], ProbeResult(output: "a\n", exitStatus: 0))
        XCTAssertEqual(parsed[2], ProbeResult(output: "no newline", exitStatus: 0))
        XCTAssertEqual(parsed[3], ProbeResult(output: "", exitStatus: 3))
        XCTAssertEqual(parsed[4], ProbeResult(output: "two\n\nblank lines\n\n", exitStatus: 0))
        XCTAssertEqual(parsed[5]?.output, "@@forged 1\n@@forged end 0\n")
    }

    func testATruncatedOutputIsAnError() throws {
        var batch = ProbeBatch()
        batch.add(key: 1, script: "true")
        batch.add(key: 2, script: "exit 0")
        let output = try LocalConnection().run(batch.script).stdoutText
        let cut = String(output.prefix(output.count / 2))
        XCTAssertThrowsError(try batch.parse(cut))
    }

    func testSbinIsOnThePath() throws {
        var batch = ProbeBatch()
        batch.add(key: 1, script: "echo $PATH")
        let parsed = try batch.parse(try LocalConnection().run(batch.script).stdoutText)
        XCTAssertTrue(parsed[1]!.output.contains("/usr/sbin"))
    }
}
