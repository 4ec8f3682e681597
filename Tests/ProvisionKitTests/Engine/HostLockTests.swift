import Foundation
import XCTest
@testable import Engine
@testable import ProvisionCore
@testable import Transport

/// The host lock through the local transport on this machine (a lock file of the test's own,
/// so that runs of other tests on this machine do not count): one run holds it, another is
/// told who and waits or fails, and it is free again when the first lets go.
final class HostLockTests: XCTestCase {
    var dir = ""
    var path = ""

    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw Prerequisite.missing("needs root (the lock is taken as root)") }
        dir = try makeTempDir()
        path = dir + "/provision.lock"
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func acquire(_ holder: String, wait: TimeInterval, waiting: @escaping (String) -> Void = { _ in }) throws -> HeldCommand? {
        try HostLock.acquire(on: LocalConnection(), holder: holder, wait: wait, path: path, waiting: waiting, warn: { XCTFail($0) }).held
    }

    /// The lock's round trip runs the prelude first, as the login user, in the held command's
    /// own shell (no other process), and hands back what it printed (the run's facts come
    /// so), whatever the prelude's last status; after a wait, the output is the last ask's.
    func testThePreludeRunsInTheSameRoundTripAndItsOutputComesBack() throws {
        let asks = Shell.quote(dir + "/asks")
        let prelude = "echo \"pid=$$\"; echo x >> \(asks); echo \"asks=$(wc -l < \(asks))\"; "
            + "echo \"lock=$(cat \(Shell.quote(path)) 2>/dev/null)\"; false"
        let first = try HostLock.acquire(on: LocalConnection(), holder: "first run", wait: 0, path: path, prelude: prelude,
                                         waiting: { _ in }, warn: { XCTFail($0) })
        let shell = try XCTUnwrap(first.held as? HeldProcess).pid
        XCTAssertEqual(first.prelude, "pid=\(shell)\nasks=1\nlock=\n", "the prelude runs in the held shell, before the lock is written")

        DispatchQueue.global().asyncAfter(deadline: .now() + 1) { first.held?.release() }
        let second = try HostLock.acquire(on: LocalConnection(), holder: "second run", wait: 20, path: path, prelude: prelude,
                                          waiting: { _ in }, warn: { XCTFail($0) })
        let shown = second.prelude.split(separator: "\n").dropFirst().joined(separator: "\n")
        XCTAssertEqual(shown, "asks=3\nlock=first run", "the second ask's output (it asked twice: busy, then waited)")
        second.held?.release()
    }

    func testASecondRunIsToldWhoHoldsTheHostAndFailsWithoutWaiting() throws {
        let first = try XCTUnwrap(try acquire("first run", wait: 0))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "first run\n")
        XCTAssertThrowsError(try acquire("second run", wait: 0)) { error in
            XCTAssertEqual(error as? HostLock.Failure, .busy(holder: "first run", waited: 0))
            XCTAssertTrue("\(error)".contains("--lock-wait"), "\(error)")
        }
        first.release()
        let again = try waitForLock { try self.acquire("second run", wait: 0) }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "second run\n")
        again.release()
    }

    func testASecondRunWaitsUntilTheFirstLetsGo() throws {
        let first = try XCTUnwrap(try acquire("first run", wait: 0))
        DispatchQueue.global().asyncAfter(deadline: .now() + 1) { first.release() }
        let messages = Messages()
        let started = Date()
        let second = try XCTUnwrap(try acquire("second run", wait: 20, waiting: { messages.append($0) }))
        let waited = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(waited, 0.8, "did not wait for the first run")
        XCTAssertLessThan(waited, 10, "waited for the whole --lock-wait instead of the first run's end")
        XCTAssertEqual(messages.all.count, 1)
        XCTAssertTrue(messages.all.first?.contains("another provision run holds this host (first run); waiting up to 20 s") == true, "\(messages.all)")
        second.release()
    }

    func testWaitingIsBounded() throws {
        let first = try XCTUnwrap(try acquire("first run", wait: 0))
        defer { first.release() }
        let started = Date()
        XCTAssertThrowsError(try acquire("second run", wait: 1)) { error in
            XCTAssertEqual(error as? HostLock.Failure, .busy(holder: "first run", waited: 1))
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    /// A holder that is gone (its process killed, as when the host side of a dead run's
    /// connection goes) leaves the lock free.
    func testAKilledHolderLeavesTheLockFree() throws {
        let first = try XCTUnwrap(try acquire("first run", wait: 0) as? HeldProcess)
        kill(first.pid, SIGKILL)
        let next = try waitForLock { try self.acquire("next run", wait: 0) }
        next.release()
    }

    /// Release returns at once; the holder's end is asynchronous, so a lock just let go is
    /// retried for a moment.
    func waitForLock(_ take: () throws -> HeldCommand?) throws -> HeldCommand {
        let deadline = Date().addingTimeInterval(5)
        while true {
            do {
                if let held = try take() { return held }
                throw XCTSkip("no lock")
            } catch HostLock.Failure.busy where Date() < deadline {
                usleep(50_000)
            }
        }
    }
}

private final class Messages: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
