import Foundation
import XCTest
@testable import Transport

/// Pull mode runs every task through the local connection: a command that leaves a
/// background process holding its stdout (a daemon started by `service`) must not hang the run.
final class LocalConnectionTests: XCTestCase {
    func testBackgroundChildHoldingStdoutDoesNotHangTheCommand() throws {
        let started = Date()
        let result = try LocalConnection().run("echo started; sleep 30 & echo done", stdin: Data(), become: false,
                                               timeout: 20, onOutput: nil)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(result.exitStatus, 0)
        XCTAssertEqual(result.stdoutText, "started\ndone\n")
        XCTAssertLessThan(elapsed, 5, "the command exited at once; reading must stop about 1 s after it")
    }

    func testOutputWrittenJustAfterExitByNoOneIsCompleteAndLargeOutputIsDrained() throws {
        let result = try LocalConnection().run("head -c 300000 /dev/zero | tr '\\0' a; echo err >&2; exit 3",
                                               stdin: Data(), become: false, timeout: 20, onOutput: nil)
        XCTAssertEqual(result.exitStatus, 3)
        XCTAssertEqual(result.stdout.count, 300000)
        XCTAssertEqual(result.stderrText, "err\n")
    }

    func testInheritedDescriptorsAreClosed() throws {
        // An fd of this process without close-on-exec (as libssh2's sockets are): the child must not see it.
        let leaked = open("/dev/null", O_RDONLY)
        XCTAssertGreaterThan(leaked, 2)
        defer { close(leaked) }
        let result = try LocalConnection().run("ls /proc/self/fd", stdin: Data(), become: false, timeout: 20, onOutput: nil)
        let fds = result.stdoutText.split(separator: "\n").compactMap { Int32($0) }
        XCTAssertFalse(fds.contains(leaked), "fd \(leaked) leaked into the child: \(fds)")
        XCTAssertTrue(fds.contains(0) && fds.contains(1) && fds.contains(2))
    }

    func testStdinAndTimeout() throws {
        let echoed = try LocalConnection().run("cat", stdin: Data("in\n".utf8), become: false, timeout: 20, onOutput: nil)
        XCTAssertEqual(echoed.stdoutText, "in\n")
        XCTAssertThrowsError(try LocalConnection().run("sleep 10", stdin: Data(), become: false, timeout: 0.5, onOutput: nil))
    }
}
