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

final class KnownHostsTests: XCTestCase {
    // The lab db host's key; `ssh-keygen -lf` prints SHA256:8ZY5pVhCibP6SxRHJqHpTTe8bPo9g/bygWePFZeKVvo for it.
    let keyBase64 = "AAAAC3NzaC1lZDI1NTE5AAAAIF7g0I9PYvcwZlsc9CoaP4PZbS0xG23NxLBaTeQoL1Rm"
    let otherBase64 = "AAAAC3NzaC1lZDI1NTE5AAAAIC6PSndtLsiMdZM6cqBpyOCyHfh3CrZH1AAAAAAAAAAA"
    var key: [UInt8] { [UInt8](Data(base64Encoded: keyBase64)!) }

    func testFingerprintMatchesSSHKeygen() {
        XCTAssertEqual(KnownHosts.fingerprint(key), "SHA256:8ZY5pVhCibP6SxRHJqHpTTe8bPo9g/bygWePFZeKVvo")
        XCTAssertFalse(KnownHosts.fingerprint(key).hasSuffix("="))
        XCTAssertEqual(KnownHosts.keyType(ofBlob: key), "ssh-ed25519")
    }

    func testParsingKeepsLineNumbersAndSkipsJunk() {
        let text = """
            # comment

            10.0.20.10 ssh-ed25519 \(keyBase64)
            this line is malformed
            @cert-authority *.example ssh-ed25519 \(keyBase64)
            web-1,10.0.10.10 ssh-ed25519 \(otherBase64) comment here
            """
        let kh = KnownHosts(parsing: text)
        XCTAssertEqual(kh.entries.map(\.line), [3, 5, 6])
        XCTAssertEqual(kh.entries[1].marker, "@cert-authority")
        XCTAssertEqual(kh.entries(for: "10.0.20.10").map(\.line), [3])
        XCTAssertEqual(kh.entries(for: "web-1").map(\.line), [6])
        XCTAssertEqual(kh.entries(for: "10.0.10.10").map(\.line), [6])
        XCTAssertEqual(kh.entries(for: "a.example"), [], "marker lines never match")
        XCTAssertEqual(kh.keyTypes(for: "web-1"), ["ssh-ed25519"])
    }

    func testCheckVerdicts() {
        let kh = KnownHosts(parsing: "x ssh-rsa AAAA\n10.0.20.10 ssh-ed25519 \(keyBase64)\n")
        XCTAssertEqual(kh.check(name: "10.0.20.10", keyType: "ssh-ed25519", key: key), .match(line: 2))
        XCTAssertEqual(kh.check(name: "10.0.20.11", keyType: "ssh-ed25519", key: key), .notFound)
        let other = [UInt8](Data(base64Encoded: otherBase64)!)
        guard case .mismatch(let entry) = kh.check(name: "10.0.20.10", keyType: "ssh-ed25519", key: other) else {
            return XCTFail("expected a mismatch")
        }
        XCTAssertEqual(entry.line, 2)
        XCTAssertEqual(entry.fingerprint, "SHA256:8ZY5pVhCibP6SxRHJqHpTTe8bPo9g/bygWePFZeKVvo")
        // Only a key of another type is recorded: still a mismatch (strict checking).
        guard case .mismatch = kh.check(name: "10.0.20.10", keyType: "ecdsa-sha2-nistp256", key: [0, 0, 0, 1, 65]) else {
            return XCTFail("expected a mismatch")
        }
    }

    func testPortsUseBrackets() {
        XCTAssertEqual(KnownHosts.hostKeyName("h", port: 22), "h")
        XCTAssertEqual(KnownHosts.hostKeyName("h", port: 2222), "[h]:2222")
        let kh = KnownHosts(parsing: "[h]:2222 ssh-ed25519 \(keyBase64)\nh ssh-ed25519 \(otherBase64)\n")
        XCTAssertEqual(kh.entries(for: "[h]:2222").map(\.line), [1])
        XCTAssertEqual(kh.entries(for: "h").map(\.line), [2])
        XCTAssertEqual(SSHEndpoint(name: "h", port: 2222, user: "u").knownHostsName, "[h]:2222")
    }

    func testHashedEntryWrittenBySSHKeygen() {
        // `ssh-keygen -H` of "[db.example]:2222 ssh-ed25519 …"
        let line = "|1|3ttCENnu4VR859ld5nd+gNyKxuI=|QYkGBU7Kh08Oc96DC4joh0eQVV0= ssh-ed25519 \(keyBase64)"
        let kh = KnownHosts(parsing: line)
        XCTAssertEqual(kh.entries(for: "[db.example]:2222").count, 1)
        XCTAssertEqual(kh.entries(for: "[DB.example]:2222").count, 1, "host names are case-insensitive")
        XCTAssertEqual(kh.entries(for: "db.example").count, 0)
        XCTAssertEqual(kh.check(name: "[db.example]:2222", keyType: "ssh-ed25519", key: key), .match(line: 1))
        let salt = [UInt8](Data(base64Encoded: "3ttCENnu4VR859ld5nd+gNyKxuI=")!)
        XCTAssertEqual(KnownHosts.hashedField(for: "[db.example]:2222", salt: salt), "|1|3ttCENnu4VR859ld5nd+gNyKxuI=|QYkGBU7Kh08Oc96DC4joh0eQVV0=")
    }

    func testHMACSHA1Vectors() {
        // RFC 2202 test cases 1 and 2.
        XCTAssertEqual(
            SHA256.hexString(HMACSHA1.authenticationCode(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8))),
            "b617318655057264e28bc0b6fb378c8ef146be00")
        XCTAssertEqual(
            SHA256.hexString(HMACSHA1.authenticationCode(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }

    func testWildcardsAndNegation() {
        XCTAssertTrue(KnownHosts.hostField("*.example.com", matches: "web.example.com"))
        XCTAssertTrue(KnownHosts.hostField("web-?", matches: "web-1"))
        XCTAssertFalse(KnownHosts.hostField("web-?", matches: "web-10"))
        XCTAssertFalse(KnownHosts.hostField("*.example.com,!bad.example.com", matches: "bad.example.com"))
        XCTAssertTrue(KnownHosts.hostField("*.example.com,!bad.example.com", matches: "good.example.com"))
        XCTAssertTrue(KnownHosts.hostField("10.0.*", matches: "10.0.10.10"))
    }

    func testAppendCreatesFileAndKeepsLines() throws {
        let dir = NSTemporaryDirectory() + "kh-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/ssh/known_hosts"
        try KnownHosts.append(name: "[h]:2222", keyType: "ssh-ed25519", key: key, toFile: path)
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attrs[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        try Data("no-newline ssh-ed25519 \(otherBase64)".utf8).write(to: URL(fileURLWithPath: path))
        try KnownHosts.append(name: "h2", keyType: "ssh-ed25519", key: key, toFile: path)
        let kh = try KnownHosts(contentsOf: path)
        XCTAssertEqual(kh.entries.map(\.hosts), ["no-newline", "h2"])
        XCTAssertEqual(kh.check(name: "h2", keyType: "ssh-ed25519", key: key), .match(line: 2))
    }
}

final class RemoteCommandTests: XCTestCase {
    func testSudoPasswordDetection() {
        XCTAssertTrue(RemoteCommand.sudoWantsPassword(exitStatus: 1, stderr: Data("sudo: a password is required\n".utf8)))
        XCTAssertTrue(RemoteCommand.sudoWantsPassword(exitStatus: 1, stderr: Data("sudo: a terminal is required to read the password; either use the -S option\n".utf8)))
        XCTAssertFalse(RemoteCommand.sudoWantsPassword(exitStatus: 0, stderr: Data("sudo: a password is required\n".utf8)))
        XCTAssertFalse(RemoteCommand.sudoWantsPassword(exitStatus: 1, stderr: Data("grep: x: No such file\n".utf8)))
    }

    func testInstallScriptOrder() {
        let script = RemoteCommand.installScript(
            source: "/tmp/tmp.X/f", path: "/etc/my app/conf", attributes: FileAttributes(mode: 0o640, owner: "root", group: "www-data"),
            cleanup: "/tmp/tmp.X")
        let lines = script.split(separator: "\n").map(String.init)
        let chown = lines.firstIndex { $0 == "chown -- root:www-data f" }
        let chmod = lines.firstIndex { $0 == "chmod -- 0640 f" }
        let fill = lines.firstIndex { $0 == "cat -- /tmp/tmp.X/f >> f" }
        let mv = lines.firstIndex { $0 == "mv -f -T -- f \"../$b\"" }
        XCTAssertNotNil(chown, script); XCTAssertNotNil(chmod, script); XCTAssertNotNil(fill, script); XCTAssertNotNil(mv, script)
        guard let chown, let chmod, let fill, let mv else { return }
        XCTAssertLessThan(chown, fill, "owner set before the content goes in")
        XCTAssertLessThan(chmod, fill, "mode set before the content goes in")
        XCTAssertLessThan(fill, mv)
        XCTAssertTrue(script.contains("provision_enter etc\nprovision_enter 'my app'\n"), "the directory entered one component at a time")
        XCTAssertTrue(script.contains("t=$(mktemp -d .provision-XXXXXX)"), "a private directory inside the destination directory")
        XCTAssertTrue(RemoteCommand.split("/a/b") == ("/a", "b"))
        XCTAssertTrue(RemoteCommand.split("/b") == ("/", "b"))
        XCTAssertTrue(RemoteCommand.split("b") == (".", "b"))
        XCTAssertEqual(RemoteCommand.modeString(0o640), "0640")
        XCTAssertEqual(RemoteCommand.modeString(0o4755), "04755")
    }

    func testInstallScriptRunsLocally() throws {
        let dir = NSTemporaryDirectory() + "install-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/stage", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("content\n".utf8).write(to: URL(fileURLWithPath: dir + "/stage/f"))
        let script = RemoteCommand.installScript(source: dir + "/stage/f", path: dir + "/it's here", attributes: FileAttributes(mode: 0o604), cleanup: dir + "/stage")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(try String(contentsOfFile: dir + "/it's here", encoding: .utf8), "content\n")
        let attrs = try FileManager.default.attributesOfItem(atPath: dir + "/it's here")
        XCTAssertEqual((attrs[.posixPermissions] as? NSNumber)?.intValue, 0o604)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/stage"), "staging directory removed")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["it's here"], "no temporary file left")
    }
}

final class OpenSSHErrorMappingTests: XCTestCase {
    let endpoint = SSHEndpoint(name: "web-1", address: "10.0.10.10", user: "ec2-user", identityFiles: ["/keys/id_rsa"], knownHostsFile: "/nonexistent/known_hosts")

    func testMessages() {
        XCTAssertEqual(
            OpenSSHConnection.mapError(stderr: "ssh: Could not resolve hostname nowhere: Name or service not known\r\n", endpoint: endpoint),
            .nameResolution(host: "web-1 (10.0.10.10)"))
        XCTAssertEqual(
            OpenSSHConnection.mapError(stderr: "ssh: connect to host 10.0.10.10 port 2: Connection refused\r\n", endpoint: endpoint),
            .refused(host: "web-1", port: 22))
        XCTAssertEqual(
            OpenSSHConnection.mapError(stderr: "ssh: connect to host 10.0.99.99 port 22: Connection timed out\r\n", endpoint: endpoint),
            .timeout(host: "web-1", port: 22, seconds: 10))
        XCTAssertEqual(
            OpenSSHConnection.mapError(stderr: "ec2-user@10.0.10.10: Permission denied (publickey).\r\n", endpoint: endpoint),
            .authenticationFailed(user: "ec2-user", host: "web-1", tried: ["/keys/id_rsa"]))
        XCTAssertNil(OpenSSHConnection.mapError(stderr: "grep: no such file\n", endpoint: endpoint))
    }

    func testHostKeyChanged() {
        let text = """
            @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r
            @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r
            @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r
            IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\r
            The fingerprint for the ED25519 key sent by the remote host is\r
            SHA256:8ZY5pVhCibP6SxRHJqHpTTe8bPo9g/bygWePFZeKVvo.\r
            Please contact your system administrator.\r
            Add correct host key in /nonexistent/known_hosts to get rid of this message.\r
            Offending ED25519 key in /nonexistent/known_hosts:3\r
            Host key for 10.0.10.10 has changed and you have requested strict checking.\r
            Host key verification failed.\r
            """
        guard case .hostKeyChanged(let host, _, let presented, let file, let line, _) = OpenSSHConnection.mapError(stderr: text, endpoint: endpoint) else {
            return XCTFail("expected hostKeyChanged")
        }
        XCTAssertEqual(host, "web-1")
        XCTAssertEqual(presented, "SHA256:8ZY5pVhCibP6SxRHJqHpTTe8bPo9g/bygWePFZeKVvo")
        XCTAssertEqual(file, "/nonexistent/known_hosts")
        XCTAssertEqual(line, 3)
    }

    func testFirstLineHandlesCRLF() {
        XCTAssertEqual(OpenSSHConnection.firstLine("kex_exchange_identification: Connection closed by remote host\r\nmore\r\n"),
                       "kex_exchange_identification: Connection closed by remote host")
    }

    func testFallbackMessage() {
        XCTAssertEqual(Transport.fallbackMessage(host: "web-1", key: "~/.ssh/id_rsa"),
                       "web-1: using OpenSSH: libssh2 1.10 cannot sign with RSA SHA-2 (key ~/.ssh/id_rsa)")
    }
}

final class PrivateKeyFileTests: XCTestCase {
    func testKeyTypesOfGeneratedKeys() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen") else { throw Prerequisite.missing("no ssh-keygen") }
        let dir = NSTemporaryDirectory() + "keys-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (type, args, expected) in [
            ("ed25519", ["-t", "ed25519", "-N", ""], "ssh-ed25519"),
            ("ecdsa", ["-t", "ecdsa", "-N", ""], "ecdsa-sha2-nistp256"),
            ("rsa", ["-t", "rsa", "-b", "2048", "-N", ""], "ssh-rsa"),
            ("rsa-pem", ["-t", "rsa", "-b", "2048", "-m", "PEM", "-N", ""], "ssh-rsa"),
            ("ed25519-pass", ["-t", "ed25519", "-N", "secret"], "ssh-ed25519"),
        ] {
            let path = "\(dir)/\(type)"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
            p.arguments = ["-q", "-f", path] + args
            try p.run(); p.waitUntilExit()
            try? FileManager.default.removeItem(atPath: path + ".pub")  // type must come from the private key
            XCTAssertEqual(try PrivateKeyFile.inspect(path), expected, type)
        }
        XCTAssertThrowsError(try PrivateKeyFile.inspect(dir + "/missing"))
    }
}
