import Foundation
import XCTest
@testable import ProvisionCore
@testable import Transport

/// Issue 17 item 3: every script reaches the shell on stdin behind a fixed bootstrap, so
/// nothing of it shows in `ps`; run here through this machine's `sh` (dash, and bash when
/// present: AL2023's `sh`), as the transports run it on a host.
final class ScriptOnStdinTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws { dir = try makeTempDir() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    var shells: [String] { ["/bin/sh", "/bin/dash", "/bin/bash"].filter { FileManager.default.isExecutableFile(atPath: $0) } }

    func run(_ shell: String, _ stdin: Data, environment: [String: String]? = nil) throws -> CommandResult {
        try ProcessRunner.run(shell, ["-c", ScriptOnStdin.bootstrap], input: .data(stdin), environment: environment)
    }

    /// The exec'd command is the same whatever the script, and holds none of it.
    func testTheCommandIsFixed() {
        XCTAssertEqual(ScriptOnStdin.remoteCommand(become: false), "exec sh -c " + Shell.quote(ScriptOnStdin.bootstrap))
        XCTAssertEqual(ScriptOnStdin.remoteCommand(become: true), "exec sudo -n -- sh -c " + Shell.quote(ScriptOnStdin.bootstrap))
        XCTAssertEqual(ScriptOnStdin.arguments(shell: "/bin/sh", sudo: "/usr/bin/sudo", become: true),
                       ["/usr/bin/sudo", "-n", "--", "/bin/sh", "-c", ScriptOnStdin.bootstrap])
        XCTAssertFalse(ScriptOnStdin.bootstrap.contains("secret"))
    }

    /// Scripts of every shape, below and above the `read` limit, come out byte for byte: what
    /// they print, their exit status, and the rest of stdin (binary, NULs included) left to them.
    func testScriptsRoundTripWithTheirInputAndExitStatus() throws {
        let hostile = "line with  spaces  \n\tleading tab\nback\\slash \\n and trailing \\\\\ncr\r\n'single' \"double\" $(not run) `not run` ${HOME} ünï\n"
        let printer = "cat <<'PROVISION_EOF'\n\(hostile)PROVISION_EOF\n"
        let rest = Data([0, 1, 2, 10, 255, 0x23]) + Data("#provision-end\nafter\n".utf8)
        let tail = printer + "echo err >&2\ncat > OUT; exit 3"
        /// `script` behind a comment line that makes the framed body exactly `bytes` long.
        func padded(_ script: String, toBody bytes: Int) -> String {
            let pad = bytes - script.utf8.count - 1 - ScriptOnStdin.endMark.utf8.count - 1
            return String(repeating: "#", count: pad - 1) + "\n" + script
        }
        let cases: [(String, (String) -> String)] = [
            ("small", { tail.replacingOccurrences(of: "OUT", with: $0) + "\n" }),
            ("no trailing newline", { tail.replacingOccurrences(of: "OUT", with: $0) }),
            ("at the read limit", { padded(tail.replacingOccurrences(of: "OUT", with: $0), toBody: ScriptOnStdin.readLimit) }),
            ("one byte over", { padded(tail.replacingOccurrences(of: "OUT", with: $0), toBody: ScriptOnStdin.readLimit + 1) }),
            ("large", { String(repeating: ": padding line to make the script long\n", count: 2000) + tail.replacingOccurrences(of: "OUT", with: $0) }),
        ]
        for shell in shells {
            for (name, make) in cases {
                let out = dir + "/" + UUID().uuidString
                let script = make(Shell.quote(out))
                let r = try run(shell, ScriptOnStdin.stdin(script: script, then: rest))
                XCTAssertEqual(r.stdoutText, hostile, "\(shell) \(name)")
                XCTAssertEqual(r.stderrText, "err\n", "\(shell) \(name)")
                XCTAssertEqual(r.exitStatus, 3, "\(shell) \(name)")
                XCTAssertEqual(FileManager.default.contents(atPath: out), rest, "\(shell) \(name): the rest of stdin is the script's")
            }
        }
    }

    /// A stream cut inside the script runs none of it (the connection died mid-way).
    func testACutScriptRunsNothing() throws {
        let marker = dir + "/ran"
        for script in ["touch \(Shell.quote(marker))\n: second line\n",
                       "touch \(Shell.quote(marker))\n" + String(repeating: ": long\n", count: 4000)] {
            let framed = ScriptOnStdin.stdin(script: script)
            for shell in shells {
                let r = try run(shell, framed.prefix(framed.count - 10))
                XCTAssertEqual(r.exitStatus, 126, "\(shell), \(framed.count) bytes: \(r.stderrText)")
                XCTAssertFalse(FileManager.default.fileExists(atPath: marker), shell)
            }
        }
    }

    /// Processes: a small script runs in the exec'd shell itself (`$$` is the process
    /// started, no `head`); a large one costs exactly one `head`.
    func testProcessesPerScript() throws {
        let bin = dir + "/bin", log = dir + "/head.log"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let headPath = try XCTUnwrap(["/usr/bin/head", "/bin/head"].first { FileManager.default.isExecutableFile(atPath: $0) })
        FileManager.default.createFile(atPath: bin + "/head", contents: Data("#!/bin/sh\necho head >> \(Shell.quote(log))\nexec \(headPath) \"$@\"\n".utf8),
                                       attributes: [.posixPermissions: 0o755])
        let environment = ProcessInfo.processInfo.environment.merging(["PATH": bin + ":/usr/bin:/bin"]) { $1 }
        for shell in shells {
            try? FileManager.default.removeItem(atPath: log)
            let pidFile = dir + "/pid"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: shell)
            process.arguments = ["-c", ScriptOnStdin.bootstrap]
            process.environment = environment
            let input = Pipe()
            process.standardInput = input
            try process.run()
            try input.fileHandleForWriting.write(contentsOf: ScriptOnStdin.stdin(script: "echo $$ > \(Shell.quote(pidFile))"))
            try input.fileHandleForWriting.close()
            process.waitUntilExit()
            let pid = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(pid, String(process.processIdentifier), "\(shell): the script runs in the process started")
            XCTAssertFalse(FileManager.default.fileExists(atPath: log), "\(shell): no head for a small script")

            let large = String(repeating: ": long\n", count: 4000) + "echo ok"
            let r = try run(shell, ScriptOnStdin.stdin(script: large), environment: environment)
            XCTAssertEqual(r.stdoutText, "ok\n", shell)
            XCTAssertEqual(try String(contentsOfFile: log, encoding: .utf8), "head\n", "\(shell): one head for a large script")
        }
    }

    /// Through a login shell as sshd runs it (`$SHELL -c COMMAND`), the local connection, and
    /// `ps`: the secret of a running script shows in no process's arguments.
    func testNothingOfTheScriptShowsInPs() throws {
        let secret = "s3cr3t-\(UUID().uuidString.prefix(8))"
        let loginShell = try ProcessRunner.run("/bin/sh", ["-c", ScriptOnStdin.remoteCommand(become: false)],
                                               input: .data(ScriptOnStdin.stdin(script: "p=\(Shell.quote(secret)); echo \"${#p}\"; cat", then: Data("in".utf8))))
        XCTAssertEqual(loginShell.stdoutText, "\(secret.count)\nin")

        let started = dir + "/started"
        let connection = LocalConnection()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            _ = try? connection.run("PASSWORD=\(Shell.quote(secret)); touch \(Shell.quote(started)); sleep 2; echo \"$PASSWORD\" >/dev/null")
            group.leave()
        }
        var listing = ""
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: started) { usleep(20_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: started), "the script ran")
        listing = try ProcessRunner.run("/bin/ps", ["-eo", "args", "ww"]).stdoutText
        group.wait()
        XCTAssertTrue(listing.contains("sleep 2"), listing)
        XCTAssertFalse(listing.contains(secret), "the secret showed in ps:\n\(listing)")
        XCTAssertFalse(listing.contains(started), "the script showed in ps")
    }
}
