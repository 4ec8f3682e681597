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

/// Issue 17 items 9 and 10: `@revoked` and `@cert-authority` lines, and concurrent appends.
final class KnownHostsMarkersTests: XCTestCase {
    static func ed25519(_ seed: UInt8) -> [UInt8] {
        [0, 0, 0, 11] + Array("ssh-ed25519".utf8) + [0, 0, 0, 32] + (0..<32).map { UInt8(truncatingIfNeeded: Int($0) &* 7 &+ Int(seed)) }
    }
    let key = ed25519(1), other = ed25519(2), ca = ed25519(3)
    func b64(_ k: [UInt8]) -> String { Data(k).base64EncodedString() }

    enum Expect: Equatable { case match(Int), notFound, mismatch(Int), revoked(Int), certificateAuthority(Int) }

    func verdict(_ v: KnownHosts.Verdict) -> Expect {
        switch v {
        case .match(let l): return .match(l)
        case .notFound: return .notFound
        case .mismatch(let e): return .mismatch(e.line)
        case .revoked(let e): return .revoked(e.line)
        case .certificateAuthority(let e): return .certificateAuthority(e.line)
        }
    }

    func testMarkerTable() {
        let hashed = KnownHosts.hashedField(for: "web.example", salt: Array(repeating: 9, count: 20))
        let table: [(String, String, [UInt8], Expect)] = [
            // A revoked key is refused even where another line records it (revocation wins).
            ("web.example ssh-ed25519 \(b64(key))\n@revoked * ssh-ed25519 \(b64(key))", "web.example", key, .revoked(2)),
            ("@revoked web.example ssh-ed25519 \(b64(key))", "web.example", key, .revoked(1)),
            ("@revoked \(hashed) ssh-ed25519 \(b64(key))", "web.example", key, .revoked(1)),
            ("@revoked [*.example]:2222 ssh-ed25519 \(b64(key))\n[web.example]:2222 ssh-ed25519 \(b64(key))", "[web.example]:2222", key, .revoked(1)),
            // Revocation of another key, or for other hosts, changes nothing.
            ("@revoked * ssh-ed25519 \(b64(other))\nweb.example ssh-ed25519 \(b64(key))", "web.example", key, .match(2)),
            ("@revoked db.example ssh-ed25519 \(b64(key))\nweb.example ssh-ed25519 \(b64(key))", "web.example", key, .match(2)),
            ("@revoked db.example ssh-ed25519 \(b64(key))", "web.example", key, .notFound),
            // A CA for the host: the host's own key still matches; anything else is refused clearly.
            ("@cert-authority *.example ssh-ed25519 \(b64(ca))", "web.example", key, .certificateAuthority(1)),
            ("@cert-authority *.example ssh-ed25519 \(b64(ca))\nweb.example ssh-ed25519 \(b64(other))", "web.example", key, .certificateAuthority(1)),
            ("@cert-authority *.example ssh-ed25519 \(b64(ca))\nweb.example ssh-ed25519 \(b64(key))", "web.example", key, .match(2)),
            ("@cert-authority *.other ssh-ed25519 \(b64(ca))", "web.example", key, .notFound),
            // Unknown markers are invalid lines, as for OpenSSH.
            ("@bogus web.example ssh-ed25519 \(b64(key))", "web.example", key, .notFound),
            ("web.example ssh-ed25519 \(b64(other))", "web.example", key, .mismatch(1)),
        ]
        for (text, name, presented, expected) in table {
            XCTAssertEqual(verdict(KnownHosts(parsing: text).check(name: name, keyType: "ssh-ed25519", key: presented)), expected, text)
        }
    }

    func testErrorsSayWhatToDoAndAreNotRetried() {
        let revoked = ConnectionError.hostKeyRevoked(host: "web-1", fingerprint: "SHA256:abc", knownHostsFile: "~/.ssh/known_hosts", line: 3)
        XCTAssertTrue(revoked.description.contains("REVOKED HOST KEY"), revoked.description)
        XCTAssertTrue(revoked.description.contains("line 3 of ~/.ssh/known_hosts"), revoked.description)
        let ca = ConnectionError.hostCertificateUnsupported(host: "web-1", knownHostsFile: "~/.ssh/known_hosts", line: 1)
        XCTAssertTrue(ca.description.contains("@cert-authority") && ca.description.contains("--transport openssh"), ca.description)
        XCTAssertFalse(WaitForSSH.isTransient(revoked))
        XCTAssertFalse(WaitForSSH.isTransient(ca))
        // What ssh prints for a revoked key maps to the same error.
        let text = """
            @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r
            @       WARNING: REVOKED HOST KEY DETECTED!               @\r
            @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r
            The ED25519 host key for 10.0.10.10 is marked as revoked.\r
            This could mean that a stolen key is being used to\r
            impersonate this host.\r
            Host key verification failed.\r
            """
        let endpoint = SSHEndpoint(name: "web-1", port: 22, user: "u")
        guard case .hostKeyRevoked(let host, _, _, _)? = OpenSSHConnection.mapError(stderr: text, endpoint: endpoint) else {
            return XCTFail("expected hostKeyRevoked, got \(String(describing: OpenSSHConnection.mapError(stderr: text, endpoint: endpoint)))")
        }
        XCTAssertEqual(host, "web-1")
    }

    /// 32 hosts recorded at once: every line is there, the old ones kept, mode (and owner,
    /// as root) unchanged, no temporary file left.
    func testThirtyTwoConcurrentAppendsLoseNothing() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/known_hosts"
        try Data("# mine\nold.example ssh-ed25519 \(b64(key))".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(chmod(path, 0o640), 0)
        let asRoot = geteuid() == 0
        if asRoot { XCTAssertEqual(chown(path, 4321, 4322), 0) }
        let failures = FailureList()
        // One thread per host, as the libssh2 transport has, all released at once.
        let start = DispatchSemaphore(value: 0), done = DispatchGroup()
        for i in 0..<32 {
            done.enter()
            Thread {
                start.wait()
                do {
                    try KnownHosts.append(name: "10.0.\(i).10", keyType: "ssh-ed25519", key: Self.ed25519(UInt8(10 + i)), toFile: path)
                } catch {
                    failures.add("\(i): \(error)")
                }
                done.leave()
            }.start()
        }
        for _ in 0..<32 { start.signal() }
        done.wait()
        XCTAssertEqual(failures.items, [])
        let kh = try KnownHosts(contentsOf: path)
        XCTAssertEqual(kh.entries.count, 33, (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
        for i in 0..<32 {
            XCTAssertEqual(verdict(kh.check(name: "10.0.\(i).10", keyType: "ssh-ed25519", key: Self.ed25519(UInt8(10 + i)))),
                           .match(kh.entries.first { $0.hosts == "10.0.\(i).10" }?.line ?? -1), "host \(i)")
        }
        XCTAssertTrue(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("# mine\nold.example ssh-ed25519 \(b64(key))\n"))
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o7777, 0o640)
        if asRoot { XCTAssertEqual([info.st_uid, info.st_gid], [4321, 4322]) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["known_hosts"])
        // The same key again adds nothing.
        try KnownHosts.append(name: "10.0.0.10", keyType: "ssh-ed25519", key: Self.ed25519(10), toFile: path)
        XCTAssertEqual(try KnownHosts(contentsOf: path).entries.count, 33)
        // A new file is 0600 in a 0700 directory.
        let fresh = dir + "/new/ssh/known_hosts"
        try KnownHosts.append(name: "h", keyType: "ssh-ed25519", key: key, toFile: fresh)
        XCTAssertEqual(stat(fresh, &info), 0)
        XCTAssertEqual(info.st_mode & 0o7777, 0o600)
    }
}

final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
}
