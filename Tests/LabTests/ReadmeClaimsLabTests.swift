import Foundation
import XCTest

/// Claims of the README that only a real host can prove, each through the binary as typed.
final class ReadmeClaimsLabTests: XCTestCase {
    var work = ""

    override func setUpWithError() throws {
        try Lab.require()
        work = NSTemporaryDirectory() + "readme-claims-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: work) }

    /// An ssh config for web-1 and web-2 with a known_hosts file of the test's own.
    func writeSSHConfig(knownHosts: String, extra: String = "") throws {
        let key = Lab.directory + "/id_ed25519"
        try """
            Host web-1
              HostName 10.0.10.10
            Host web-2
              HostName 10.0.11.10
            \(extra)
            Host *
              User ec2-user
              IdentityFile \(key)
              IdentitiesOnly yes
              UserKnownHostsFile \(knownHosts)
            """.write(toFile: work + "/ssh_config", atomically: true, encoding: .utf8)
    }

    func testAChangedHostKeyIsRefusedWithExitFourAndTheLineToRemove() throws {
        // web-1's address recorded with another key, as after an instance was replaced.
        let other = try String(contentsOfFile: Lab.directory + "/id_ed25519.pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        try "10.0.10.10 \(other)\n".write(toFile: work + "/known_hosts", atomically: true, encoding: .utf8)
        try writeSSHConfig(knownHosts: work + "/known_hosts")
        for transport in ["libssh2", "openssh"] {
            let out = Lab.provision(["ping", "-F", "ssh_config", "--transport", transport, "--accept-new-host-keys", "web-1"], directory: work)
            XCTAssertEqual(out.status, 4, "\(transport): \(out.all)")
            XCTAssertTrue(out.all.lowercased().contains("changed"), "\(transport): says the key changed: \(out.all)")
            XCTAssertTrue(out.all.contains("known_hosts"), "\(transport): names the file: \(out.all)")
        }
        XCTAssertEqual(try String(contentsOfFile: work + "/known_hosts", encoding: .utf8), "10.0.10.10 \(other)\n",
                       "--accept-new-host-keys never replaces a changed key")
    }

    func testProxyJumpReachesAHostThroughAnother() throws {
        try Lab.run("/bin/cp", [Lab.knownHosts, work + "/known_hosts"]).status == 0 ? () : XCTFail("copy known_hosts")
        try writeSSHConfig(knownHosts: work + "/known_hosts", extra: "Host web-2-via-1\n  HostName 10.0.11.10\n  ProxyJump web-1\n")
        let out = Lab.provision(["ping", "-F", "ssh_config", "--json", "web-2-via-1"], directory: work)
        XCTAssertEqual(out.status, 0, out.all)
        XCTAssertEqual(Lab.recap(out.stdout)["web-2-via-1"]?["ok"], 1, out.stdout)
    }

    func testTagsAndSkipTagsChooseTasks() throws {
        let dir = "/var/tmp/readme-tags-\(UUID().uuidString.prefix(6))"
        defer { Lab.ssh("web-1", "rm -rf \(dir)") }
        try """
            - hosts: web
              tasks:
                - {name: a, file: {path: \(dir)/a, state: touch}, tags: [one]}
                - {name: b, file: {path: \(dir)/b, state: touch}, tags: [two]}
                - {name: c, file: {path: \(dir)/c, state: touch}, tags: [always]}
                - {name: d, file: {path: \(dir), state: directory}}
            """.write(toFile: work + "/tags.yml", atomically: true, encoding: .utf8)
        Lab.ssh("web-1", "mkdir -p \(dir)")
        let call = ["-F", Lab.sshConfig, "-p", "tags.yml", "--json"]
        let tagged = Lab.provision(call + ["--tags", "one", "web-1"], directory: work)
        XCTAssertEqual(tagged.status, 0, tagged.all)
        XCTAssertEqual(Lab.ssh("web-1", "ls \(dir)").stdout, "a\nc\n", "--tags one runs 'one' and 'always' only")
        let skipped = Lab.provision(call + ["--skip-tags", "one,always", "web-1"], directory: work)
        XCTAssertEqual(skipped.status, 0, skipped.all)
        XCTAssertEqual(Lab.ssh("web-1", "ls \(dir)").stdout, "a\nb\nc\n", "--skip-tags skips even 'always'")
    }
}
