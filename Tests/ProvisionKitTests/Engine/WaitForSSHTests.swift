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

/// The retry schedule of `--wait-for-ssh`, on a simulated clock (the lab test shows it
/// against a host whose sshd comes up late).
final class WaitForSSHTests: XCTestCase {
    final class Clock: @unchecked Sendable {
        let lock = NSLock()
        var now = Date(timeIntervalSince1970: 0)
        var sleeps: [TimeInterval] = []
        var attempts = 0
        func sleep(_ t: TimeInterval) { lock.lock(); sleeps.append(t); now += t; lock.unlock() }
        func read() -> Date { lock.lock(); defer { lock.unlock() }; return now }
        func attempt() -> Int { lock.lock(); defer { lock.unlock() }; attempts += 1; return attempts }
    }

    let host = ResolvedHost(name: "web-9", address: "10.0.18.10", port: 22, user: "ec2-user", identityFiles: [],
                            identitiesOnly: false, knownHostsFile: "/dev/null", proxyJump: nil, connectTimeout: nil)

    func testRetriesRefusalsWithBackoffUntilTheHostAnswers() throws {
        let clock = Clock()
        let connector = WaitForSSH(seconds: 60).wrap({ host in
            if clock.attempt() < 5 { throw ConnectionError.refused(host: host.name, port: 22) }
            return LocalConnection(hostName: host.name)
        }, sleep: clock.sleep, now: clock.read)
        XCTAssertEqual(try connector(host).hostName, "web-9")
        XCTAssertEqual(clock.attempts, 5)
        XCTAssertEqual(clock.sleeps, [0.25, 0.5, 1, 2])
    }

    func testGivesUpAtTheDeadlineNamingTheLastError() {
        let clock = Clock()
        let connector = WaitForSSH(seconds: 30).wrap({ host in
            _ = clock.attempt()
            throw ConnectionError.timeout(host: host.name, port: 22, seconds: 1)
        }, sleep: clock.sleep, now: clock.read)
        XCTAssertThrowsError(try connector(host)) { error in
            XCTAssertEqual(error as? ConnectionError,
                           .stillUnreachable(host: "web-9", waited: 30, last: "web-9: connection to port 22 timed out after 1 s"))
            XCTAssertEqual("\(error)", "web-9: still unreachable after waiting 30 s for SSH (last: web-9: connection to port 22 timed out after 1 s)")
        }
        XCTAssertEqual(clock.sleeps.reduce(0, +), 30, accuracy: 0.001, "slept exactly up to the deadline")
        XCTAssertEqual(clock.sleeps.max(), 5, "backoff is capped")
    }

    func testDoesNotWaitForWhatWaitingCannotFix() {
        let clock = Clock()
        let connector = WaitForSSH(seconds: 60).wrap({ host in
            _ = clock.attempt()
            throw ConnectionError.authenticationFailed(user: "ec2-user", host: host.name, tried: ["id_ed25519"])
        }, sleep: clock.sleep, now: clock.read)
        XCTAssertThrowsError(try connector(host)) { error in
            guard case .authenticationFailed = error as? ConnectionError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(clock.attempts, 1)
        XCTAssertEqual(clock.sleeps, [])
    }
}
