import Foundation
import XCTest

/// Faults during a run on the lab (issue 9); each ends with a re-run that converges with
/// the right changed counts.
final class FaultLabTests: XCTestCase {
    var probe: PlaybookProbe!
    let dir = "/var/tmp/provision-faults"

    override func setUpWithError() throws {
        try Lab.require()
        probe = try PlaybookProbe(host: "web-1")
        for host in ["web-1", "web-2"] { Lab.ssh(host, "rm -rf \(dir); mkdir -p \(dir)") }
    }

    override func tearDown() {
        for host in ["web-1", "web-2"] { Lab.ssh(host, "rm -rf \(dir)") }
        probe?.remove()
    }

    func write(_ playbook: String) throws -> String {
        let path = probe.directory + "/faults-\(UUID().uuidString.prefix(6)).yml"
        try playbook.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts provision in the background; its output when it ends.
    func start(_ arguments: [String]) throws -> (Process, () -> Lab.Output) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Lab.provisionBinary)
        process.arguments = ["-i", Lab.inventory, "-F", Lab.sshConfig] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, {
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return Lab.Output(status: process.terminationStatus, stdout: stdout, stderr: stderr)
        })
    }

    func waitFor(_ host: String, _ test: String, seconds: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if Lab.ssh(host, test).status == 0 { return true }
            usleep(100_000)
        }
        return false
    }

    func slowPlay() -> String {
        """
        - hosts: web
          tasks:
            - name: slow step
              shell: touch \(dir)/started; sleep 4; touch \(dir)/slow-done
              args: {creates: \(dir)/slow-done}
            - name: next step
              shell: touch \(dir)/next-done
              args: {creates: \(dir)/next-done}
        """
    }

    /// sshd's session processes for our user on one host, killed from the controller (the
    /// listener stays): the connection drops mid-task.
    func killSSHSessions(on host: String) {
        let root = Lab.directory + "/hosts/\(host)/root"
        let script = """
            for p in /proc/[0-9]*; do
              [ "$(readlink $p/root)" = \(root) ] || continue
              case "$(tr '\\0' ' ' < $p/cmdline)" in "sshd: ec2-user"*) kill -9 ${p#/proc/};; esac
            done
            """
        Lab.run("/bin/sh", ["-c", script])
    }

    func testSSHDKilledMidTaskOnOneOfTwoHosts() throws {
        let playbook = try write(slowPlay())
        let (_, finish) = try start(["-p", playbook, "--json", "web-1", "web-2"])
        XCTAssertTrue(waitFor("web-2", "test -e \(dir)/started"), "the slow step never started on web-2")
        killSSHSessions(on: "web-2")
        let out = finish()
        XCTAssertEqual(out.status, 4, out.stdout + out.stderr)
        let recap = Lab.recap(out.stdout)
        XCTAssertEqual(recap["web-1"]?["changed"], 2, "web-1 finished both steps:\n\(out.stdout)")
        XCTAssertEqual(recap["web-2"]?["unreachable"], 1, out.stdout)
        XCTAssertNotEqual(Lab.ssh("web-2", "test -e \(dir)/next-done").status, 0, "nothing ran on web-2 after the drop")

        // The cut command may still finish on the host (no terminal, so no hangup): the
        // re-run then has one step left there, else two.
        sleep(5)
        let slowFinished = Lab.ssh("web-2", "test -e \(dir)/slow-done").status == 0
        let again = Lab.provision(["-i", Lab.inventory, "-F", Lab.sshConfig, "-p", playbook, "--json", "web-1", "web-2"])
        XCTAssertEqual(again.status, 0, again.all)
        XCTAssertEqual(Lab.recap(again.stdout)["web-1"]?["changed"], 0, again.stdout)
        XCTAssertEqual(Lab.recap(again.stdout)["web-2"]?["changed"], slowFinished ? 1 : 2, "web-2 does what is left:\n\(again.stdout)")
        XCTAssertEqual(Lab.ssh("web-2", "test -e \(dir)/slow-done && test -e \(dir)/next-done").status, 0)
    }

    func testSIGINTFinishesTheRunningTaskStartsNoOtherAndPrintsTheRecap() throws {
        let playbook = try write(slowPlay())
        let (process, finish) = try start(["-p", playbook, "web-1"])
        XCTAssertTrue(waitFor("web-1", "test -e \(dir)/started"))
        kill(process.processIdentifier, SIGINT)
        let out = finish()
        XCTAssertEqual(out.status, 130, out.stdout + out.stderr)
        XCTAssertTrue(out.stderr.contains("SIGINT: finishing the tasks running now"), out.stderr)
        XCTAssertTrue(out.stdout.contains("stopped by SIGINT"), out.stdout)
        XCTAssertTrue(out.stdout.contains("RECAP"), out.stdout)
        XCTAssertTrue(out.stdout.contains("web-1: changed: slow step"), "the running task was finished:\n\(out.stdout)")
        XCTAssertEqual(Lab.ssh("web-1", "test -e \(dir)/slow-done").status, 0)
        XCTAssertNotEqual(Lab.ssh("web-1", "test -e \(dir)/next-done").status, 0, "no task was started after SIGINT")

        let again = Lab.provision(["-i", Lab.inventory, "-F", Lab.sshConfig, "-p", playbook, "--json", "web-1"])
        XCTAssertEqual(again.status, 0, again.all)
        XCTAssertEqual(Lab.recap(again.stdout)["web-1"]?["changed"], 1, again.stdout)
    }

    /// The README's promise for SIGTERM: the running task finishes, the recap is printed,
    /// exit 143; a second signal stops at once, without waiting for the task.
    func testSIGTERMExits143AfterTheRunningTaskAndASecondSignalStopsAtOnce() throws {
        let playbook = try write(slowPlay())
        let (process, finish) = try start(["-p", playbook, "web-1"])
        XCTAssertTrue(waitFor("web-1", "test -e \(dir)/started"))
        kill(process.processIdentifier, SIGTERM)
        let out = finish()
        XCTAssertEqual(out.status, 143, out.stdout + out.stderr)
        XCTAssertTrue(out.stdout.contains("stopped by SIGTERM") && out.stdout.contains("RECAP"), out.stdout)
        XCTAssertEqual(Lab.ssh("web-1", "test -e \(dir)/slow-done").status, 0, "the running task was finished")

        Lab.ssh("web-1", "rm -f \(dir)/started \(dir)/slow-done \(dir)/next-done")
        let (again, finishAgain) = try start(["-p", playbook, "web-1"])
        XCTAssertTrue(waitFor("web-1", "test -e \(dir)/started"))
        let signalled = Date()
        kill(again.processIdentifier, SIGTERM)
        usleep(200_000)
        kill(again.processIdentifier, SIGTERM)
        let stopped = finishAgain()
        XCTAssertEqual(stopped.status, 143, stopped.stdout + stopped.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(signalled), 3, "the second signal did not wait for the 4 s task")
        XCTAssertFalse(stopped.stdout.contains("RECAP"), "stopped at once, before any recap:\n\(stopped.stdout)")
    }

    func testPackageLockHeldByAnotherProcessIsWaitedFor() throws {
        Lab.ssh("web-2", "sudo -n apt-get remove -y -q hello >/dev/null 2>&1")
        // dpkg's frontend lock, held 6 s the way apt holds it (a POSIX lock).
        let holder = "import fcntl, time; f = open('/var/lib/dpkg/lock-frontend', 'w'); fcntl.lockf(f, fcntl.LOCK_EX); open('\(dir)/locked', 'w'); time.sleep(6)"
        Lab.ssh("web-2", "sudo -n setsid python3 -c \"\(holder)\" >/dev/null 2>&1 < /dev/null &")
        XCTAssertTrue(waitFor("web-2", "test -e \(dir)/locked"))
        let began = Date()
        let out = Lab.provision(["-i", Lab.inventory, "-F", Lab.sshConfig, "-p", try write("""
            - hosts: web
              become: true
              tasks:
                - name: a package while dpkg is locked
                  apt: {name: hello}
            """), "--json", "web-2"])
        XCTAssertEqual(out.status, 0, out.all)
        XCTAssertEqual(Lab.recap(out.stdout)["web-2"]?["changed"], 1, out.stdout)
        XCTAssertGreaterThan(Date().timeIntervalSince(began), 3, "it waited for the lock")
        Lab.ssh("web-2", "sudo -n apt-get remove -y -q hello >/dev/null 2>&1")
    }
}
