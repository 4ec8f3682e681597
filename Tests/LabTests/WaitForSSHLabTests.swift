import Foundation
import XCTest

/// `--wait-for-ssh` against a real sshd that starts 5 s after the command, as on a
/// just-launched instance: a second sshd on web-2, port 2222, started late.
final class WaitForSSHLabTests: XCTestCase {
    var work = ""
    var config: String { work + "/ssh_config" }

    override func setUpWithError() throws {
        try Lab.require()
        work = NSTemporaryDirectory() + "wait-ssh-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        // The same host keys answer on port 2222: known_hosts files them as [address]:2222.
        let known = try String(contentsOfFile: Lab.knownHosts, encoding: .utf8).split(separator: "\n")
            .filter { $0.hasPrefix("10.0.11.10 ") }
            .map { "[10.0.11.10]:2222 " + $0.dropFirst("10.0.11.10 ".count) }
        XCTAssertFalse(known.isEmpty, "web-2's key is in the lab's known_hosts")
        try (known.joined(separator: "\n") + "\n").write(toFile: work + "/known_hosts", atomically: true, encoding: .utf8)
        try """
            Host late
              HostName 10.0.11.10
              Port 2222
              User ec2-user
              IdentityFile \(Lab.directory)/id_ed25519
              IdentitiesOnly yes
              UserKnownHostsFile \(work)/known_hosts
              ConnectTimeout 3
            """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    override func tearDown() {
        Lab.ssh("web-2", "sudo pkill -f 'sshd -p 2222'; true")
        try? FileManager.default.removeItem(atPath: work)
    }

    func ping(_ extra: [String]) -> (Lab.Output, TimeInterval) {
        let began = Date()
        let out = Lab.provision(["ping", "-F", config] + extra + ["late"])
        return (out, Date().timeIntervalSince(began))
    }

    func testConnectsToAHostWhoseSSHDStartsFiveSecondsLater() throws {
        // Nothing listens yet: without waiting, refused at once, exit 4.
        let (refused, _) = ping([])
        XCTAssertEqual(refused.status, 4, refused.all)
        XCTAssertTrue(refused.all.contains("late: UNREACHABLE: connection refused on port 2222"), refused.all)

        let start = Lab.ssh("web-2", "sudo -n setsid sh -c 'sleep 5; exec /usr/sbin/sshd -p 2222' >/dev/null 2>&1 < /dev/null &")
        XCTAssertEqual(start.status, 0, start.all)
        let (waited, seconds) = ping(["--wait-for-ssh", "60"])
        XCTAssertEqual(waited.status, 0, waited.all)
        XCTAssertTrue(waited.all.contains("late: ok: ping"), waited.all)
        XCTAssertGreaterThan(seconds, 4, "it connected only once sshd was up")
        XCTAssertLessThan(seconds, 15, "backoff is capped: it connects soon after sshd starts")
    }

    func testGivesUpAtTheDeadline() throws {
        let (out, seconds) = ping(["--wait-for-ssh", "3"])
        XCTAssertEqual(out.status, 4, out.all)
        XCTAssertTrue(out.all.contains("still unreachable after waiting 3 s for SSH (last: late: connection refused on port 2222)"), out.all)
        XCTAssertGreaterThanOrEqual(seconds, 3)
    }
}
