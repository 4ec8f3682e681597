import Foundation
import XCTest

/// Issue 19's host lock on a lab host, through both SSH transports and the `provision` binary
/// as users call it: a second run is told who holds the host and fails at once with
/// `--lock-wait 0` (exit 2), or waits and then runs; a run killed midway lets go; and the lock
/// is the file a pull on the host takes.
final class HostLockLabTests: XCTestCase {
    var dir = ""
    var playbook: String { dir + "/nap.yml" }

    override func setUpWithError() throws {
        try Lab.require()
        dir = NSTemporaryDirectory() + "provision-hostlock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
            - hosts: web-1
              tasks:
                - name: nap
                  command: sleep {{ nap }}
            """.write(toFile: playbook, atomically: true, encoding: .utf8)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func arguments(_ transport: String, nap: Int, _ extra: [String] = []) -> [String] {
        ["-i", Lab.inventory, "-F", Lab.sshConfig, "--transport", transport, "-p", playbook, "-e", "nap=\(nap)"] + extra + ["web-1"]
    }

    /// A run in the background, its output in a file.
    func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Lab.provisionBinary)
        process.arguments = arguments
        let log = dir + "/background-\(UUID().uuidString).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits until the run with `pid` holds web-1's lock (the lock file names its holder).
    func waitUntilHeld(by pid: Int32) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if Lab.ssh("web-1", "sudo -n cat /run/provision.lock").stdout.contains("pid \(pid),") { return }
            usleep(200_000)
        }
        XCTFail("the first run never held the lock")
        throw Prerequisite.missing("lock not taken")
    }

    func testASecondRunFailsAtOnceOrWaitsForTheFirst() throws {
        for transport in ["libssh2", "openssh"] {
            let first = try start(arguments(transport, nap: 8))
            try waitUntilHeld(by: first.processIdentifier)
            let refused = Lab.provision(arguments(transport, nap: 0, ["--lock-wait", "0", "--json"]))
            XCTAssertEqual(refused.status, 2, "[\(transport)] " + refused.all)
            let tasks = Lab.jsonLines(refused.stdout).filter { $0["event"] as? String == "task" }
            XCTAssertEqual(tasks.map { $0["task"] as? String }, ["host lock"], "[\(transport)] a task ran on a host another run holds: " + refused.all)
            let message = tasks.first?["message"] as? String ?? ""
            XCTAssertTrue(message.contains("another provision run holds this host (provision push from"), "[\(transport)] " + refused.all)
            XCTAssertTrue(message.contains("pid \(first.processIdentifier),"), "[\(transport)] names the holder: " + refused.all)
            XCTAssertEqual(Lab.recap(refused.stdout)["web-1"]?["failed"], 1, "[\(transport)] " + refused.all)

            let waited = Lab.provision(arguments(transport, nap: 0, ["--lock-wait", "120"]))
            XCTAssertEqual(waited.status, 0, "[\(transport)] " + waited.all)
            XCTAssertTrue(waited.all.contains("waiting up to 120 s for it (--lock-wait)"), "[\(transport)] " + waited.all)
            XCTAssertFalse(first.isRunning, "[\(transport)] the second run ended before the first: they interleaved")
            first.waitUntilExit()
            XCTAssertEqual(first.terminationStatus, 0, "[\(transport)] the first run failed")
        }
    }

    func testARunKilledMidwayLetsGoOfTheHost() throws {
        for transport in ["libssh2", "openssh"] {
            let first = try start(arguments(transport, nap: 300))
            try waitUntilHeld(by: first.processIdentifier)
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            let started = Date()
            let next = Lab.provision(arguments(transport, nap: 0, ["--lock-wait", "60"]))
            XCTAssertEqual(next.status, 0, "[\(transport)] " + next.all)
            XCTAssertLessThan(Date().timeIntervalSince(started), 30, "[\(transport)] the dead run's lock was kept")
        }
        Lab.ssh("web-1", "sudo -n pkill -x sleep; true")
    }

    /// `provision pull` on the host takes the same file (the local transport runs the same
    /// lock command): while a push holds it, flock on it from the host itself is refused.
    func testAPushHoldsTheFileAPullTakes() throws {
        let first = try start(arguments("libssh2", nap: 6))
        try waitUntilHeld(by: first.processIdentifier)
        XCTAssertEqual(Lab.ssh("web-1", "sudo -n flock -n /run/provision.lock true").status, 1, "the push does not hold the host's lock file")
        first.waitUntilExit()
        let deadline = Date().addingTimeInterval(10)
        var free = false
        while !free && Date() < deadline {
            free = Lab.ssh("web-1", "sudo -n flock -n /run/provision.lock true").status == 0
            if !free { usleep(200_000) }
        }
        XCTAssertTrue(free, "the lock was kept after the push ended")
    }
}
