import Foundation
import XCTest

@testable import ProvisionCore
@testable import Transport
@testable import Database
@testable import Cloud
@testable import Inventory
@testable import Playbook
@testable import Modules
@testable import Engine

#if canImport(Glibc)
import Glibc
#endif

/// The lab built by `scripts/lab up` (shared: these tests only use it, never start or stop it).
enum TransportLab {
    static let directory = "/var/tmp/provision-lab"
    static let web1 = "10.0.10.10"
    static let web2 = "10.0.11.10"
    static let db = "10.0.20.10"

    static let isUp: Bool = {
        guard FileManager.default.fileExists(atPath: directory + "/ssh_config") else { return false }
        return shell("ssh", "-F", directory + "/ssh_config", "-o", "ConnectTimeout=3", "web-1", "true").status == 0
    }()

    static func endpoint(
        name: String = "web-1", address: String = web1, port: Int = 22, user: String = "ec2-user",
        key: String = directory + "/id_ed25519", knownHosts: String = directory + "/known_hosts"
    ) -> SSHEndpoint {
        SSHEndpoint(
            name: name, address: address, port: port, user: user, identityFiles: [key], identitiesOnly: true,
            knownHostsFile: knownHosts, connectTimeout: 5)
    }

    @discardableResult
    static func shell(_ arguments: String...) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return (-1, "") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func temporaryDirectory() -> String {
        let dir = NSTemporaryDirectory() + "provision-transport-test-" + UUID().uuidString.prefix(8)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// The conformance suite, run once per transport by the subclasses below.
/// Every test runs its body once per transport (XCTest on Linux does not discover inherited
/// test methods, so a loop rather than subclasses). `PROVISION_TRANSPORTS=libssh2` (or `openssh`)
/// restricts the run to one.
final class ConnectionConformanceTests: XCTestCase {
    /// The transport the current body runs with.
    var preference: TransportPreference = .libssh2

    override func setUpWithError() throws {
        guard TransportLab.isUp else { throw Prerequisite.missing("no lab: start it with scripts/lab up") }
    }

    static var transports: [TransportPreference] {
        let only = ProcessInfo.processInfo.environment["PROVISION_TRANSPORTS"]?.split(separator: ",").compactMap { TransportPreference(rawValue: String($0)) }
        return only.flatMap { $0.isEmpty ? nil : $0 } ?? [.libssh2, .openssh]
    }

    func forEachTransport(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        for preference in Self.transports {
            self.preference = preference
            print("[\(preference.rawValue)] \(name)")
            do { try body() } catch { XCTFail("[\(preference.rawValue)] \(error)", file: file, line: line) }
        }
    }

    func connect(_ endpoint: SSHEndpoint = TransportLab.endpoint()) throws -> any Connection {
        try Transport.connect(endpoint, preference: preference)
    }

    func expectFailure(
        _ endpoint: SSHEndpoint, file: StaticString = #filePath, line: UInt = #line,
        _ check: (ConnectionError) -> Bool
    ) {
        do {
            let c = try connect(endpoint)
            c.close()
            XCTFail("[\(preference.rawValue)] connected, expected a failure", file: file, line: line)
        } catch let error as ConnectionError {
            XCTAssertTrue(check(error), "[\(preference.rawValue)] unexpected error: \(error)", file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), "one line: \(error)", file: file, line: line)
        } catch {
            XCTFail("not a ConnectionError: \(error)", file: file, line: line)
        }
    }

    // MARK: Commands

    func testExitCodesAndSeparateStreams() throws {
        forEachTransport {
            let c = try connect()
            defer { c.close() }
            XCTAssertEqual(try c.run("true").exitStatus, 0)
            XCTAssertEqual(try c.run("exit 3").exitStatus, 3)
            let r = try c.run("echo out; echo err >&2; exit 7")
            XCTAssertEqual(r.stdoutText, "out\n")
            XCTAssertEqual(r.stderrText, "err\n")
            XCTAssertEqual(r.exitStatus, 7)
            XCTAssertEqual(try c.run("printf '%s' \(Shell.quote("it's a \"test\" $HOME"))").stdoutText, "it's a \"test\" $HOME")
        }
    }

    func testStdinRoundTrip() throws {
        forEachTransport {
            let c = try connect()
            defer { c.close() }
            XCTAssertEqual(try c.run("cat", stdin: Data("hello\n".utf8)).stdoutText, "hello\n")
            let big = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) })
            let r = try c.run("sha256sum", stdin: big)
            XCTAssertEqual(r.stdoutText.prefix(64), Substring(SHA256.hex(big)))
            XCTAssertEqual(try c.run("cat", stdin: big).stdout, big)
            // A command that ignores its stdin still finishes.
            XCTAssertEqual(try c.run("true", stdin: big).exitStatus, 0)
        }
    }

    func testLargeStdoutAndStderrAtOnce() throws {
        forEachTransport {
            let c = try connect()
            defer { c.close() }
            let r = try c.run(
                "(head -c 3000000 /dev/zero | tr '\\0' b) >&2 & head -c 5000000 /dev/zero | tr '\\0' a; wait",
                stdin: Data(), become: false, timeout: 60, onOutput: nil)
            XCTAssertEqual(r.exitStatus, 0)
            XCTAssertEqual(r.stdout.count, 5_000_000)
            XCTAssertEqual(r.stderr.count, 3_000_000)
            XCTAssertTrue(r.stdout.allSatisfy { $0 == UInt8(ascii: "a") })
            XCTAssertTrue(r.stderr.allSatisfy { $0 == UInt8(ascii: "b") })
        }
    }

    func testSudo() throws {
        forEachTransport {
            let c = try connect()
            defer { c.close() }
            XCTAssertEqual(try c.run("id -u", become: true).stdoutText, "0\n")
            XCTAssertEqual(try c.run("id -un", become: true).stdoutText, "root\n")
            // The quoting survives sudo's sh -c.
            XCTAssertEqual(try c.run("printf '%s' \"it's\" | wc -c", become: true).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), "4")
        }
    }

    func testStreamingOutput() throws {
        forEachTransport {
            let c = try connect()
            defer { c.close() }
            final class Chunks: @unchecked Sendable {
                let lock = NSLock()
                var items: [(Date, OutputStreamKind, Data)] = []
            }
            let chunks = Chunks()
            let start = Date()
            let r = try c.run(
                "for i in 1 2 3; do echo line$i; echo e$i >&2; sleep 0.3; done", stdin: Data(), become: false, timeout: 30,
                onOutput: { kind, data in chunks.lock.lock(); chunks.items.append((Date(), kind, data)); chunks.lock.unlock() })
            let end = Date()
            XCTAssertEqual(r.stdoutText, "line1\nline2\nline3\n")
            XCTAssertEqual(r.stderrText, "e1\ne2\ne3\n")
            let firstStdout = try XCTUnwrap(chunks.items.first { $0.1 == .stdout })
            XCTAssertLessThan(firstStdout.0.timeIntervalSince(start), end.timeIntervalSince(start) - 0.4, "first line arrived before the end")
            XCTAssertEqual(String(decoding: chunks.items.filter { $0.1 == .stdout }.reduce(Data()) { $0 + $1.2 }, as: UTF8.self), r.stdoutText)
        }
    }

    func testCommandTimeout() throws {
        forEachTransport {
            let c = try connect()
            defer { c.close() }
            let start = Date()
            XCTAssertThrowsError(try c.run("sleep 5", stdin: Data(), become: false, timeout: 0.5, onOutput: nil))
            XCTAssertEqual(try c.run("echo still-usable").stdoutText, "still-usable\n")
            XCTAssertLessThan(Date().timeIntervalSince(start), 2, "a timed-out command does not hold the session")
        }
    }

    // MARK: Files

    func testUpload30MBWithMode() throws {
        forEachTransport {
            let c = try connect()
            defer { c.close() }
            let dir = "/tmp/provision-put-\(UUID().uuidString.prefix(8))"
            XCTAssertEqual(try c.run("mkdir -p \(dir)").exitStatus, 0)
            defer { _ = try? c.run("rm -rf \(dir)", become: true) }
            var data = Data(count: 30 * 1024 * 1024)
            data.withUnsafeMutableBytes { raw in
                for i in stride(from: 0, to: raw.count, by: 8) { raw.storeBytes(of: UInt64(i).multipliedReportingOverflow(by: 0x9E37_79B9_7F4A_7C15).partialValue, toByteOffset: i, as: UInt64.self) }
            }
            let digest = SHA256.hex(data)

            let start = Date()
            try c.put(data, to: "\(dir)/plain.bin", attributes: FileAttributes(mode: 0o640), become: false)
            print("put 30 MiB (\(preference.rawValue)): \(Int(Date().timeIntervalSince(start) * 1000)) ms")
            XCTAssertEqual(try c.run("stat -c '%a %U' \(dir)/plain.bin").stdoutText, "640 ec2-user\n")
            XCTAssertEqual(try c.run("sha256sum < \(dir)/plain.bin").stdoutText.prefix(64), Substring(digest))

            // Overwrite in place, as root, owned by root, from a local file.
            let local = TransportLab.temporaryDirectory() + "/upload.bin"
            try data.write(to: URL(fileURLWithPath: local))
            defer { try? FileManager.default.removeItem(atPath: (local as NSString).deletingLastPathComponent) }
            try c.put(file: local, to: "\(dir)/plain.bin", attributes: FileAttributes(mode: 0o640, owner: "root", group: "root"), become: true)
            XCTAssertEqual(try c.run("stat -c '%a %U:%G' \(dir)/plain.bin").stdoutText, "640 root:root\n")
            XCTAssertEqual(try c.run("sha256sum < \(dir)/plain.bin", become: true).stdoutText.prefix(64), Substring(digest))

            // Into a directory only root can write.
            XCTAssertEqual(try c.run("mkdir -m 0755 \(dir)/rootonly", become: true).exitStatus, 0)
            try c.put(Data("secret\n".utf8), to: "\(dir)/rootonly/conf", attributes: FileAttributes(mode: 0o600), become: true)
            XCTAssertEqual(try c.run("stat -c '%a %U' \(dir)/rootonly/conf; cat \(dir)/rootonly/conf", become: true).stdoutText, "600 root\nsecret\n")
            XCTAssertEqual(try c.run("ls -A \(dir)/rootonly", become: true).stdoutText, "conf\n", "no temporary files left")
            // Without become it is refused with a task-level error, not a connection error.
            XCTAssertThrowsError(try c.put(Data("x".utf8), to: "\(dir)/rootonly/other", attributes: FileAttributes(), become: false)) {
                XCTAssertTrue($0 is RemoteFileError, "\($0)")
            }
        }
    }

    // MARK: Tunnel

    func testTunnelToDatabaseWhileCommandsRun() throws {
        forEachTransport {
            let c = try connect()
            defer { c.close() }
            let tunnel = try c.openTunnel(toHost: TransportLab.db, port: 3306)
            defer { tunnel.close() }
            // A command runs on the same session while the tunnel is used from this thread.
            let background = Thread {
                _ = try? c.run("sleep 1; echo done")
            }
            background.start()
            for _ in 0..<3 {
                let greeting = try Self.readMySQLGreeting(port: tunnel.localPort)
                XCTAssertEqual(greeting.first, 10, "protocol version 10")
                XCTAssertTrue(String(decoding: greeting, as: UTF8.self).contains("MariaDB"), "server version in the greeting")
            }
            XCTAssertEqual(try c.run("echo after").stdoutText, "after\n")
        }
    }

    func testTunnelKeepsFlowingDuringBigTransfers() {
        forEachTransport {
            let c = try connect()
            defer { c.close() }
            let tunnel = try c.openTunnel(toHost: TransportLab.db, port: 3306)
            defer { tunnel.close() }
            final class Count: @unchecked Sendable { let lock = NSLock(); var ok = 0; var bad = 0; var running = true; var firstBad = "" }
            let count = Count()
            let port = tunnel.localPort
            let reader = Thread {
                while true {
                    count.lock.lock(); let running = count.running; count.lock.unlock()
                    if !running { break }
                    var greeting: [UInt8] = []
                    var failure = ""
                    do { greeting = try ConnectionConformanceTests.readMySQLGreeting(port: port) } catch { failure = "\(error)" }
                    count.lock.lock()
                    if greeting.first == 10 {
                        count.ok += 1
                    } else {
                        count.bad += 1
                        if count.firstBad.isEmpty { count.firstBad = "attempt \(count.ok + count.bad): " + failure + " " + String(decoding: greeting, as: UTF8.self) }
                    }
                    count.lock.unlock()
                }
            }
            reader.start()
            let r = try c.run(
                "(head -c 3000000 /dev/zero | tr '\\0' b) >&2 & head -c 5000000 /dev/zero | tr '\\0' a; wait",
                stdin: Data(count: 2_000_000), become: false, timeout: 60, onOutput: nil)
            XCTAssertEqual(r.stdout.count, 5_000_000)
            XCTAssertEqual(r.stderr.count, 3_000_000)
            // The upload must not be disturbed by tunnel traffic serviced while it waits.
            let bulk = Data((0..<(20 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 ^ ($0 >> 11)) })
            try c.put(bulk, to: "/tmp/provision-tunnel-bulk", attributes: FileAttributes(mode: 0o600), become: false)
            XCTAssertEqual(
                try c.run("sha256sum < /tmp/provision-tunnel-bulk && rm -f /tmp/provision-tunnel-bulk").stdoutText.prefix(64),
                Substring(SHA256.hex(bulk)))
            count.lock.lock(); count.running = false; count.lock.unlock()
            while !reader.isFinished { usleep(10_000) }
            XCTAssertGreaterThan(count.ok, 0, "greetings read through the tunnel during the transfers")
            XCTAssertEqual(count.bad, 0, count.firstBad)
            print("[\(self.preference.rawValue)] \(count.ok) MariaDB greetings through the tunnel during the transfers")
        }
    }

    static func readMySQLGreeting(port: Int) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }
        func readExactly(_ n: Int) -> [UInt8] {
            var out: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: n)
            while out.count < n {
                let got = recv(fd, &buf, n - out.count, 0)
                if got <= 0 { break }
                out += buf[0..<got]
            }
            return out
        }
        let header = readExactly(4)
        guard header.count == 4 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ENODATA, userInfo: [NSLocalizedDescriptionKey: "no greeting (got \(header.count) bytes)"]) }
        let length = Int(header[0]) | Int(header[1]) << 8 | Int(header[2]) << 16
        return readExactly(length)
    }

    // MARK: Failures

    func testUnknownHostName() {
        forEachTransport {
            expectFailure(TransportLab.endpoint(name: "nowhere", address: "no-such-host.invalid")) {
                if case .nameResolution = $0 { return true } else { return false }
            }
        }
    }

    func testRefusedPort() {
        forEachTransport {
            expectFailure(TransportLab.endpoint(port: 2)) {
                if case .refused(_, 2) = $0 { return true } else { return false }
            }
        }
    }

    func testConnectTimeout() {
        forEachTransport {
            var endpoint = TransportLab.endpoint(name: "ghost", address: "10.0.99.99")
            endpoint.connectTimeout = 1
            let start = Date()
            expectFailure(endpoint) {
                if case .timeout = $0 { return true } else { return false }
            }
            XCTAssertLessThan(Date().timeIntervalSince(start), 4)
        }
    }

    func testAuthenticationFailure() throws {
        forEachTransport {
            let dir = TransportLab.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            XCTAssertEqual(TransportLab.shell("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir + "/stranger").status, 0)
            expectFailure(TransportLab.endpoint(key: dir + "/stranger")) {
                if case .authenticationFailed(let user, _, let tried) = $0 {
                    return user == "ec2-user" && tried.contains { $0.contains("stranger") }
                }
                return false
            }
        }
    }

    func testUnreadableKey() {
        forEachTransport {
            expectFailure(TransportLab.endpoint(key: "/nonexistent/id_ed25519")) {
                if case .keyUnreadable(let path, _) = $0 { return path == "/nonexistent/id_ed25519" } else { return false }
            }
        }
    }

    func testHostKeyUnknown() throws {
        forEachTransport {
            let dir = TransportLab.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            _ = FileManager.default.createFile(atPath: dir + "/known_hosts", contents: Data())
            expectFailure(TransportLab.endpoint(knownHosts: dir + "/known_hosts")) {
                if case .hostKeyUnknown(_, let fingerprint, _) = $0 { return fingerprint.hasPrefix("SHA256:") } else { return false }
            }
            XCTAssertEqual(try String(contentsOfFile: dir + "/known_hosts", encoding: .utf8), "", "nothing recorded")
        }
    }

    func testAcceptNewHostKeyRecordsIt() throws {
        forEachTransport {
            let dir = TransportLab.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var endpoint = TransportLab.endpoint(knownHosts: dir + "/known_hosts")
            endpoint.acceptNewHostKeys = true
            let c = try connect(endpoint)
            XCTAssertEqual(try c.run("echo ok").stdoutText, "ok\n")
            c.close()
            let recorded = try KnownHosts(contentsOf: dir + "/known_hosts")
            XCTAssertFalse(recorded.entries(for: TransportLab.web1).isEmpty, "key recorded")
            endpoint.acceptNewHostKeys = false
            let again = try connect(endpoint)
            again.close()
        }
    }

    func testHostKeyChanged() throws {
        forEachTransport {
            let dir = TransportLab.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            // web-2's key recorded under web-1's address, on line 3.
            let lab = try KnownHosts(contentsOf: TransportLab.directory + "/known_hosts")
            let other = try XCTUnwrap(lab.entries(for: TransportLab.web2).first { $0.keyType == "ssh-ed25519" })
            let text = "# test\nother.example ssh-ed25519 \(Data(other.key).base64EncodedString())\n"
                + KnownHosts.line(name: TransportLab.web1, keyType: other.keyType, key: other.key) + "\n"
            try text.write(toFile: dir + "/known_hosts", atomically: true, encoding: .utf8)
            var endpoint = TransportLab.endpoint(knownHosts: dir + "/known_hosts")
            endpoint.acceptNewHostKeys = true  // never overrides a changed key
            expectFailure(endpoint) {
                if case .hostKeyChanged(_, let expected, let presented, _, let line, _) = $0 {
                    return line == 3 && expected == other.fingerprint && presented.hasPrefix("SHA256:") && presented != expected
                }
                return false
            }
        }
    }

    func testSudoNeedingPassword() throws {
        forEachTransport {
            let admin = try connect()
            defer { admin.close() }
            let user = "provpw" + (preference == .openssh ? "o" : "l")
            let setup = """
                set -e
                id \(user) >/dev/null 2>&1 || useradd -m -s /bin/sh \(user)
                usermod -p '*' \(user)
                echo '\(user) ALL=(ALL) ALL' > /etc/sudoers.d/\(user)
                chmod 0440 /etc/sudoers.d/\(user)
                install -d -m 0700 -o \(user) -g \(user) /home/\(user)/.ssh
                install -m 0600 -o \(user) -g \(user) /home/ec2-user/.ssh/authorized_keys /home/\(user)/.ssh/authorized_keys
                """
            let made = try admin.run(setup, become: true)
            XCTAssertEqual(made.exitStatus, 0, made.stderrText)
            defer { _ = try? admin.run("rm -f /etc/sudoers.d/\(user); userdel -r \(user) 2>/dev/null; true", become: true) }
            let c = try connect(TransportLab.endpoint(user: user))
            defer { c.close() }
            XCTAssertEqual(try c.run("id -un").stdoutText, "\(user)\n")
            XCTAssertThrowsError(try c.run("true", become: true)) {
                XCTAssertEqual($0 as? ConnectionError, .sudoNeedsPassword(host: "web-1"))
            }
            XCTAssertThrowsError(try c.put(Data("x".utf8), to: "/tmp/provpw-x", attributes: FileAttributes(), become: true)) {
                XCTAssertEqual($0 as? ConnectionError, .sudoNeedsPassword(host: "web-1"))
            }
        }
    }

    func testNotAnSSHServer() throws {
        forEachTransport {
            let server = try FakeServer(reply: "HTTP/1.0 400 Bad Request\r\n\r\n")
            defer { server.stop() }
            expectFailure(TransportLab.endpoint(name: "web", address: "127.0.0.1", port: server.port)) {
                if case .protocolError(_, let message) = $0 { return message.contains("SSH server") } else { return false }
            }
        }
    }
}

/// What is specific to choosing a transport.
final class TransportFallbackTests: XCTestCase {
    override func setUpWithError() throws {
        guard TransportLab.isUp else { throw Prerequisite.missing("no lab: start it with scripts/lab up") }
    }

    func testRSAKeyReachesHostThroughFallback() throws {
        final class Lines: @unchecked Sendable { let lock = NSLock(); var items: [String] = [] }
        let lines = Lines()
        let endpoint = TransportLab.endpoint(key: TransportLab.directory + "/id_rsa")
        let c = try Transport.connect(endpoint, preference: .auto) { line in
            lines.lock.lock(); lines.items.append(line); lines.lock.unlock()
        }
        defer { c.close() }
        XCTAssertTrue(c is OpenSSHConnection)
        XCTAssertEqual(lines.items, ["web-1: using OpenSSH: libssh2 1.10 cannot sign with RSA SHA-2 (key \(TransportLab.directory)/id_rsa)"])
        XCTAssertEqual(try c.run("id -u", become: true).stdoutText, "0\n")
    }

    func testRSAKeyWithLibSSH2OnlyFails() {
        XCTAssertThrowsError(try Transport.connect(TransportLab.endpoint(key: TransportLab.directory + "/id_rsa"), preference: .libssh2)) {
            guard case .authenticationFailed = $0 as? ConnectionError else { return XCTFail("\($0)") }
        }
    }

    func testAutoUsesLibSSH2AndDoesNotFallBackOnOtherErrors() throws {
        final class Lines: @unchecked Sendable { let lock = NSLock(); var items: [String] = [] }
        let lines = Lines()
        let c = try Transport.connect(TransportLab.endpoint(), preference: .auto) { l in lines.lock.lock(); lines.items.append(l); lines.lock.unlock() }
        XCTAssertTrue(c is LibSSH2Connection)
        c.close()
        XCTAssertThrowsError(try Transport.connect(TransportLab.endpoint(port: 2), preference: .auto) { l in lines.lock.lock(); lines.items.append(l); lines.lock.unlock() }) {
            guard case .refused = $0 as? ConnectionError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(lines.items, [])
    }

    func testMeasureHandshakeAndCommands() throws {
        for preference in [TransportPreference.libssh2, .openssh] {
            var handshakes: [Double] = []
            var commands: [Double] = []
            for round in 0..<5 {
                let start = Date()
                let c = try Transport.connect(TransportLab.endpoint(), preference: preference)
                handshakes.append(Date().timeIntervalSince(start))
                if round == 0 {
                    for _ in 0..<100 {
                        let t = Date()
                        _ = try c.run("true")
                        commands.append(Date().timeIntervalSince(t))
                    }
                }
                c.close()
            }
            func median(_ xs: [Double]) -> String { String(format: "%.1f ms", xs.sorted()[xs.count / 2] * 1000) }
            print("BENCHMARK transport=\(preference.rawValue) handshake+auth median=\(median(handshakes)) (5 runs); command median=\(median(commands)) (100 runs of `true` on one session)")
        }
    }
}

/// A TCP server on 127.0.0.1 that answers every connection with `reply` and hangs up.
final class FakeServer: @unchecked Sendable {
    let fd: Int32
    let port: Int
    private let thread: Thread

    init(reply: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = self.fd
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len); return getsockname(fd, $0, &len) } }
        listen(fd, 4)
        port = Int(UInt16(bigEndian: addr.sin_port))
        thread = Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                var buf = [UInt8](repeating: 0, count: 256)
                _ = recv(client, &buf, buf.count, 0)
                _ = reply.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                close(client)
            }
        }
        thread.start()
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
