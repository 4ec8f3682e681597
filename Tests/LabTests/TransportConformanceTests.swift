import Foundation
import XCTest
@testable import ProvisionKit

/// The same contract, checked for both transports against real sshd on the lab.
final class TransportConformanceTests: XCTestCase {
    var preference: RunOptions.TransportPreference = .libssh2

    /// Runs `body` once per transport, naming the transport in failures.
    func forEachTransport(_ body: () throws -> Void) {
        for transport in [RunOptions.TransportPreference.libssh2, .openssh] {
            preference = transport
            do { try body() } catch { XCTFail("[\(transport.rawValue)] \(error)") }
        }
    }

    override func setUpWithError() throws {
        try Lab.require()
    }

    func endpoint(_ name: String = "web-1", change: (inout ResolvedHost) -> Void = { _ in }) throws -> ResolvedHost {
        let resolver = HostResolver(inventory: try InventoryLoader.load(path: Lab.inventory),
                                    sshConfig: try SSHConfig.load(path: Lab.sshConfig), sshConfigFile: Lab.sshConfig)
        var host = resolver.resolve(name)
        host.knownHostsFile = Lab.knownHosts
        change(&host)
        return host
    }

    func connect(_ host: ResolvedHost, accept: Bool = false, log: @escaping @Sendable (String) -> Void = { _ in }) throws -> any Connection {
        var options = RunOptions()
        options.transport = preference
        options.acceptNewHostKeys = accept
        return try Transport.connect(host, options: options, sshConfigFile: nil, log: log)
    }

    func expectFailure(_ host: ResolvedHost, accept: Bool = false, _ check: (ConnectionError) -> Bool,
                       file: StaticString = #filePath, line: UInt = #line) {
        do {
            let c = try connect(host, accept: accept)
            c.close()
            XCTFail("[\(preference.rawValue)] connected, but should have failed", file: file, line: line)
        } catch let error as ConnectionError {
            XCTAssertTrue(check(error), "[\(preference.rawValue)] unexpected: \(error)", file: file, line: line)
        } catch {
            XCTFail("not a ConnectionError: \(error)", file: file, line: line)
        }
    }

    func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "conformance-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func testExitStatusStdinAndSudo() throws {
        forEachTransport {
            let c = try connect(try endpoint())
            defer { c.close() }
            XCTAssertEqual(try c.run("exit 3").exitStatus, 3)
            let echoed = try c.run("cat; echo done >&2", stdin: Data("hello\nworld\n".utf8))
            XCTAssertEqual(echoed.stdoutText, "hello\nworld\n")
            XCTAssertEqual(echoed.stderrText, "done\n")
            XCTAssertEqual(try c.run("id -un", become: true).stdoutText, "root\n")
            XCTAssertEqual(try c.run("id -un").stdoutText, "ec2-user\n")
        }
    }

    func testLargeStdoutAndStderrAtOnceDoNotDeadlock() throws {
        forEachTransport {
            let c = try connect(try endpoint())
            defer { c.close() }
            let result = try c.run("head -c 5000000 /dev/zero | tr '\\0' a & head -c 3000000 /dev/zero | tr '\\0' b >&2; wait")
            XCTAssertEqual(result.stdout.count, 5_000_000)
            XCTAssertEqual(result.stderr.count, 3_000_000)
            let streamed = Counter()
            _ = try c.run("seq 1 100000", stdin: Data(), become: false, timeout: 60) { kind, data in
                if kind == .stdout { streamed.add(data.count) }
            }
            XCTAssertEqual(streamed.value, (1...100_000).map { String($0).count + 1 }.reduce(0, +))
        }
    }

    func testThirtyMegabyteUploadWithModeAndOwner() throws {
        forEachTransport {
            let c = try connect(try endpoint())
            defer { c.close() }
            let dir = try temporaryDirectory()
            let local = dir + "/big"
            let data = Data((0..<(30 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            try data.write(to: URL(fileURLWithPath: local))
            try c.put(file: local, to: "/opt/provision-upload-test", attributes: FileAttributes(mode: 0o640, owner: "root", group: "root"), become: true)
            let check = try c.run("stat -c '%U %G %a %s' /opt/provision-upload-test; sha256sum < /opt/provision-upload-test | cut -c1-64; rm -f /opt/provision-upload-test", become: true)
            XCTAssertEqual(check.stdoutText, "root root 640 \(data.count)\n\(SHA256.hex(data))\n")
            try c.put(Data("small\n".utf8), to: "/home/ec2-user/small.txt", attributes: FileAttributes(mode: 0o600), become: false)
            XCTAssertEqual(try c.run("stat -c %a small.txt; cat small.txt; rm small.txt").stdoutText, "600\nsmall\n")
        }
    }

    func testTunnelReachesTheDatabaseOnlyTheWebHostCanSee() throws {
        forEachTransport {
            let c = try connect(try endpoint())
            defer { c.close() }
            let tunnel = try c.openTunnel(toHost: "10.0.20.10", port: 3306)
            defer { tunnel.close() }
            for _ in 0..<2 {  // two clients one after the other on the same tunnel
                let greeting = try Self.readGreeting(port: tunnel.localPort)
                XCTAssertTrue(greeting.contains("MariaDB"), "no MariaDB greeting through the tunnel: \(greeting)")
            }
            // Commands still work while the tunnel is open.
            XCTAssertEqual(try c.run("echo ok").stdoutText, "ok\n")
        }
    }

    /// Reads a MySQL server's first packet (its version string) from 127.0.0.1:port.
    static func readGreeting(port: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { return "connect failed" }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = read(fd, &buffer, buffer.count)
        return n > 0 ? String(decoding: buffer[0..<n].map { $0 < 32 || $0 > 126 ? 32 : $0 }, as: UTF8.self) : "nothing read"
    }

    func testUnknownHostName() throws {
        forEachTransport {
            expectFailure(try endpoint { $0.address = "no-such-host.provision-lab.invalid" }) {
                if case .nameResolution = $0 { return true } else { return false }
            }
        }
    }

    func testRefusedPort() throws {
        forEachTransport {
            expectFailure(try endpoint { $0.port = 2 }) { if case .refused(_, 2) = $0 { return true } else { return false } }
        }
    }

    func testTimeout() throws {
        forEachTransport {
            let started = Date()
            expectFailure(try endpoint { $0.address = "10.0.99.99"; $0.connectTimeout = 2 }) {
                if case .timeout = $0 { return true }
                if case .protocolError(_, let m) = $0 { return m.contains("unreachable") }
                return false
            }
            XCTAssertLessThan(Date().timeIntervalSince(started), 15)
        }
    }

    func testAuthenticationFailureNamesTheKeysTried() throws {
        forEachTransport {
            let dir = try temporaryDirectory()
            XCTAssertEqual(Lab.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", dir + "/stranger"]).status, 0)
            expectFailure(try endpoint { $0.identityFiles = [dir + "/stranger"]; $0.identitiesOnly = true }) {
                if case .authenticationFailed(let user, _, let tried) = $0 { return user == "ec2-user" && tried.contains(dir + "/stranger") }
                return false
            }
        }
    }

    func testUnknownHostKeyIsRefusedUnlessAccepted() throws {
        forEachTransport {
            let dir = try temporaryDirectory()
            let empty = dir + "/known_hosts"
            FileManager.default.createFile(atPath: empty, contents: Data())
            expectFailure(try endpoint { $0.knownHostsFile = empty }) {
                if case .hostKeyUnknown(_, let fingerprint, let file) = $0 { return fingerprint.hasPrefix("SHA256:") && file == empty }
                return false
            }
            let accepted = try connect(try endpoint { $0.knownHostsFile = empty }, accept: true)
            accepted.close()
            let recorded = try String(contentsOfFile: empty, encoding: .utf8)
            XCTAssertTrue(recorded.hasPrefix("10.0.10.10 ssh-ed25519 "), recorded)
            let again = try connect(try endpoint { $0.knownHostsFile = empty })
            again.close()
        }
    }

    func testChangedHostKeyIsAlwaysRefusedWithTheLineToRemove() throws {
        forEachTransport {
            let dir = try temporaryDirectory()
            let file = dir + "/known_hosts"
            XCTAssertEqual(Lab.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", dir + "/other"]).status, 0)
            let otherKey = try String(contentsOfFile: dir + "/other.pub", encoding: .utf8).split(separator: " ")[1]
            try "# comment\n10.0.10.10 ssh-ed25519 \(otherKey)\n".write(toFile: file, atomically: true, encoding: .utf8)
            for accept in [false, true] {
                expectFailure(try endpoint { $0.knownHostsFile = file }, accept: accept) {
                    if case .hostKeyChanged(_, _, let presented, _, let line, let name) = $0 { return line == 2 && presented.hasPrefix("SHA256:") && name == "10.0.10.10" }
                    return false
                }
            }
        }
    }

    func testSudoThatWantsAPasswordIsOneClearError() throws {
        forEachTransport {
            let admin = try connect(try endpoint())
            defer { admin.close() }
            let setup = """
                id tester >/dev/null 2>&1 || useradd -m -s /bin/bash tester
                usermod -p '*' tester
                mkdir -p ~tester/.ssh && cp ~ec2-user/.ssh/authorized_keys ~tester/.ssh/ && chown -R tester: ~tester/.ssh
                echo 'tester ALL=(ALL) ALL' > /etc/sudoers.d/tester && chmod 440 /etc/sudoers.d/tester
                """
            XCTAssertEqual(try admin.run(setup, become: true).exitStatus, 0)
            defer { _ = try? admin.run("rm -f /etc/sudoers.d/tester; userdel -r tester", become: true) }
            let tester = try connect(try endpoint { $0.user = "tester" })
            defer { tester.close() }
            XCTAssertEqual(try tester.run("id -un").stdoutText, "tester\n")
            XCTAssertThrowsError(try tester.run("true", become: true)) { error in
                XCTAssertEqual(error as? ConnectionError, .sudoNeedsPassword(host: "web-1"))
            }
        }
    }

    func testNotAnSSHServer() throws {
        forEachTransport {
            let server = try NotSSHServer()
            defer { server.stop() }
            expectFailure(try endpoint { $0.address = "127.0.0.1"; $0.port = server.port }) {
                if case .protocolError(_, let m) = $0 { return m.contains("does not speak SSH") || m.contains("handshake") }
                return false
            }
        }
    }
}

/// Transport choice with no flag given.
final class TransportSelectionTests: XCTestCase {
    func testAnRSAKeyReachesAHostThroughTheOpenSSHFallback() throws {
        try Lab.require()
        let resolver = HostResolver(inventory: try InventoryLoader.load(path: Lab.inventory),
                                    sshConfig: try SSHConfig.load(path: Lab.sshConfig), sshConfigFile: Lab.sshConfig)
        var host = resolver.resolve("web-1")
        host.identityFiles = [Lab.directory + "/id_rsa"]
        host.identitiesOnly = true
        let lines = Counter()
        let said = LineLog()
        let c = try Transport.connect(host, options: RunOptions(), sshConfigFile: nil) { line in
            lines.add(1)
            said.append(line)
        }
        defer { c.close() }
        XCTAssertTrue(c is OpenSSHConnection)
        XCTAssertEqual(lines.value, 1)
        XCTAssertTrue(said.text.contains("libssh2 1.10 cannot sign with RSA SHA-2"), said.text)
        XCTAssertEqual(try c.run("echo ok").stdoutText, "ok\n")
    }

    func testEd25519StaysOnLibssh2() throws {
        try Lab.require()
        let resolver = HostResolver(inventory: try InventoryLoader.load(path: Lab.inventory),
                                    sshConfig: try SSHConfig.load(path: Lab.sshConfig), sshConfigFile: Lab.sshConfig)
        let c = try Transport.connect(resolver.resolve("web-1"), options: RunOptions(), sshConfigFile: nil) { _ in }
        defer { c.close() }
        XCTAssertTrue(c is LibSSH2Connection)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ n: Int) { lock.lock(); total += n; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return total }
}

final class LineLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return lines.joined(separator: "\n") }
}

/// A TCP server on 127.0.0.1 that answers like a web server, not like sshd.
final class NotSSHServer: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 4) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let listener = fd
        Thread {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                let reply = "HTTP/1.0 400 Bad Request\r\n\r\n"
                _ = reply.withCString { write(client, $0, strlen($0)) }
                close(client)
            }
        }.start()
    }

    func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}
