import Foundation
import XCTest
@testable import Transport

/// Where a held command's ready line is, in the output read so far (every transport's rule).
final class HeldCommandTests: XCTestCase {
    func testTheReadyLineIsTheFirstWholeLineWithThePrefix() {
        let cases: [(output: String, before: String?, line: String?)] = [
            ("", nil, nil),
            ("ready: yes", nil, nil),                                   // not whole yet
            ("ready: yes\n", "", "ready: yes"),
            ("a=1\nb=2\nready: held\nmore\n", "a=1\nb=2\n", "ready: held"),
            ("a=1\nnot ready: x\nready: busy x\nready: held\n", "a=1\nnot ready: x\n", "ready: busy x"),
            ("a=1\nready", nil, nil),
            ("\n\nready: \n", "\n\n", "ready: "),
        ]
        for (output, before, line) in cases {
            let found = HoldOutcome.readyLine(in: Data(output.utf8), prefix: "ready: ")
            XCTAssertEqual(found?.before, before, output.debugDescription)
            XCTAssertEqual(found?.line, line, output.debugDescription)
        }
    }

    /// The held command's output through the local transport: lines before the ready line
    /// come back in `before`, the command runs on until released.
    func testALocalHeldCommandReturnsAtItsReadyLine() throws {
        let outcome = try LocalConnection().hold("echo one; echo two; echo 'ready: now'; exec cat >/dev/null", input: Data(),
                                                 become: false, readyPrefix: "ready: ", timeout: 10)
        guard case .holding(let line, let before, let held) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(line, "ready: now")
        XCTAssertEqual(before, "one\ntwo\n")
        held.release()
    }

    /// `input` follows the script on stdin: a second framed script run by `ScriptOnStdin.asRoot`.
    func testInputAfterTheScriptIsTheNextScriptAsRoot() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root: asRoot would ask sudo") }
        let outcome = try LocalConnection().hold("echo first\n" + ScriptOnStdin.asRoot,
                                                 input: ScriptOnStdin.stdin(script: "echo \"ready: uid $(id -u)\"; exec cat >/dev/null"),
                                                 become: false, readyPrefix: "ready: ", timeout: 10)
        guard case .holding(let line, let before, let held) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(before, "first\n")
        XCTAssertEqual(line, "ready: uid 0")
        held.release()
    }
}
