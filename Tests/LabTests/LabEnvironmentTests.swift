import Foundation
import XCTest

/// The lab itself (scripts/lab): what every other lab test relies on.
/// Skipped when no lab is up (`sudo scripts/lab build && sudo scripts/lab up 2`).
final class LabEnvironmentTests: XCTestCase {
    private static let lab = ProcessInfo.processInfo.environment["PROVISION_LAB"] ?? "/var/tmp/provision-lab"
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    private var sshConfig: String { Self.lab + "/ssh_config" }

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: sshConfig) else {
            throw Prerequisite.missing("no lab at \(Self.lab): run `sudo scripts/lab build && sudo scripts/lab up 2`")
        }
        let probe = ssh("web-1", "true")
        guard probe.status == 0 else { throw Prerequisite.missing("lab at \(Self.lab) is not up: \(probe.stderr)") }
    }

    func testStatusReportsEveryHostRunning() throws {
        try requireRoot()
        let status = labScript(["status"])
        XCTAssertEqual(status.status, 0, status.all)
        for host in ["web-1", "web-2", "db"] {
            XCTAssertTrue(status.stdout.contains(host), status.stdout)
        }
        XCTAssertFalse(status.stdout.contains("stopped"), status.stdout)
    }

    func testControllerFilesDescribeTheLab() throws {
        let inventory = try String(contentsOfFile: Self.lab + "/inventory.yml", encoding: .utf8)
        XCTAssertTrue(inventory.contains("ansible_user: ec2-user"), inventory)
        XCTAssertTrue(inventory.contains("web-1: {ansible_host: 10.0.10.10}"), inventory)
        XCTAssertTrue(inventory.contains("web-2: {ansible_host: 10.0.11.10}"), inventory)
        XCTAssertTrue(inventory.contains("db: {ansible_host: 10.0.20.10}"), inventory)
        let knownHosts = try String(contentsOfFile: Self.lab + "/known_hosts", encoding: .utf8)
        XCTAssertTrue(knownHosts.contains("10.0.10.10 ssh-ed25519 "), knownHosts)
        let attributes = try FileManager.default.attributesOfItem(atPath: Self.lab + "/db_admin_password")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    }

    func testHostsAreIsolatedFromEachOther() throws {
        let marker = "/tmp/lab-isolation-\(UUID().uuidString)"
        XCTAssertEqual(ssh("web-1", "echo web-1 > \(marker) && hostname").stdout, "web-1\n")
        defer { ssh("web-1", "rm -f \(marker)") }
        XCTAssertEqual(ssh("web-1", "cat \(marker)").stdout, "web-1\n")
        let other = ssh("web-2", "hostname; test -e \(marker) && echo present || echo absent")
        XCTAssertEqual(other.stdout, "web-2\nabsent\n", other.all)
        // Own pid namespaces: web-2 does not see web-1's processes.
        XCTAssertEqual(ssh("web-2", "cat /proc/1/comm").stdout, "tini\n")
    }

    func testEc2UserHasPasswordlessSudo() throws {
        let result = ssh("web-1", "id -un; sudo -n id -u")
        XCTAssertEqual(result.status, 0, result.all)
        XCTAssertEqual(result.stdout, "ec2-user\n0\n")
        XCTAssertEqual(ssh("db", "sudo -n true").status, 0)
    }

    func testDatabaseRefusesTheController() throws {
        // Like RDS in a private subnet: nothing answers on 3306 from the controller.
        let start = Date()
        let probe = run("/usr/bin/timeout", ["3", "/bin/bash", "-c", "exec 3<>/dev/tcp/10.0.20.10/3306"])
        XCTAssertNotEqual(probe.status, 0, "the controller reached the database on 3306")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    func testDatabaseAcceptsWebHosts() throws {
        let tcp = ssh("web-1", "timeout 3 bash -c 'exec 3<>/dev/tcp/10.0.20.10/3306' && echo open")
        XCTAssertEqual(tcp.stdout, "open\n", tcp.all)
        try requireRoot()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/mariadb") else {
            throw Prerequisite.missing("no mariadb client on the controller")
        }
        let password = try String(contentsOfFile: Self.lab + "/db_admin_password", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // The controller's client, run inside web-1's network namespace.
        let query = run("/usr/sbin/ip", ["netns", "exec", "plab-web-1", "/usr/bin/mariadb", "-h", "10.0.20.10",
                                         "-u", "admin", "-N", "-B", "-e", "SELECT 6*7"],
                        environment: ["MYSQL_PWD": password])
        XCTAssertEqual(query.status, 0, query.all)
        XCTAssertEqual(query.stdout, "42\n")
    }

    func testHostLaunchedFromSnapshotHasTheFilesAndANewHostKey() throws {
        try requireRoot()
        let marker = "lab-image-\(UUID().uuidString)"
        XCTAssertEqual(ssh("web-1", "echo \(marker) | sudo tee /etc/lab-image-marker >/dev/null").status, 0)
        defer { ssh("web-1", "sudo rm -f /etc/lab-image-marker") }

        let snapshot = labScript(["snapshot", "web-1"])
        XCTAssertEqual(snapshot.status, 0, snapshot.all)
        let launch = labScript(["launch", "web-9", "--from", "web-1"])
        defer { labScript(["destroy", "web-9"]) }
        XCTAssertEqual(launch.status, 0, launch.all)
        // "web-9 10.0.X.10 SHA256:…"
        let fields = launch.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        XCTAssertEqual(fields.first, "web-9", launch.all)
        guard fields.count >= 3 else { return XCTFail("launch printed: \(launch.all)") }
        let address = fields[1]
        XCTAssertNotEqual(address, "10.0.10.10")

        // Not trusted: the new key is not in known_hosts, so strict checking refuses it.
        let strict = ssh("web-9", "true")
        XCTAssertNotEqual(strict.status, 0, "a launched host's new key must not be in known_hosts")
        let knownHosts = try String(contentsOfFile: Self.lab + "/known_hosts", encoding: .utf8)
        XCTAssertFalse(knownHosts.contains(address + " "), knownHosts)

        // A different host key than web-1's…
        let web1Key = hostKey("10.0.10.10"), newKey = hostKey(address)
        XCTAssertFalse(web1Key.isEmpty)
        XCTAssertFalse(newKey.isEmpty)
        XCTAssertNotEqual(web1Key, newKey)
        XCTAssertTrue(launch.stdout.contains(fingerprint(newKey)), "launch printed \(launch.stdout)")

        // …and web-1's disk.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lab-kh-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let login = run("/usr/bin/ssh", ["-F", sshConfig, "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=\(scratch)",
                                         "-o", "StrictHostKeyChecking=accept-new", "web-9",
                                         "hostname; cat /etc/lab-image-marker"])
        XCTAssertEqual(login.status, 0, login.all)
        XCTAssertEqual(login.stdout, "web-9\n\(marker)\n")
    }

    func testWordPressTarballIsShapedLikeUpstream() throws {
        let archive = Self.lab + "/wordpress.tar.gz"
        guard FileManager.default.fileExists(atPath: archive) else { return XCTFail("no \(archive)") }
        let listing = run("/usr/bin/tar", ["-tvzf", archive])
        XCTAssertEqual(listing.status, 0, listing.stderr)
        let lines = listing.stdout.split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 1000)
        var names: Set<String> = []
        for line in lines {
            XCTAssertFalse(line.hasPrefix("l") || line.hasPrefix("h"), "link in the tarball: \(line)")
            if let name = line.split(separator: " ", omittingEmptySubsequences: true).last {
                XCTAssertTrue(name == "wordpress/" || name.hasPrefix("wordpress/"), "outside wordpress/: \(line)")
                names.insert(String(name))
            }
        }
        for required in ["wordpress/wp-includes/version.php", "wordpress/wp-config-sample.php",
                         "wordpress/wp-includes/ID3/getid3.php", "wordpress/wp-includes/js/underscore.min.js",
                         "wordpress/wp-includes/certificates/ca-bundle.crt",
                         "wordpress/wp-content/themes/twentytwentythree/style.css"] {
            XCTAssertTrue(names.contains(required), "missing \(required)")
        }
        XCTAssertFalse(names.contains("wordpress/wp-config.php"), "Debian's stub wp-config.php must be dropped")
        XCTAssertFalse(names.contains("wordpress/.htaccess"))
    }

    // MARK: - helpers (private: other lab tests have their own harness)

    private struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var all: String { stdout + stderr }
    }

    private func requireRoot() throws {
        guard getuid() == 0 else { throw Prerequisite.missing("needs root (scripts/lab, ip netns)") }
    }

    @discardableResult
    private func ssh(_ host: String, _ command: String) -> Output {
        run("/usr/bin/ssh", ["-F", sshConfig, "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", host, command])
    }

    @discardableResult
    private func labScript(_ arguments: [String]) -> Output {
        run("/bin/bash", [Self.repository + "/scripts/lab"] + arguments)
    }

    /// The ed25519 host key a host presents (from the controller, as `ssh-keyscan` sees it).
    private func hostKey(_ address: String) -> String {
        let scan = run("/usr/bin/ssh-keyscan", ["-T", "5", "-t", "ed25519", address])
        return scan.stdout.split(separator: "\n").first(where: { !$0.hasPrefix("#") })
            .map { $0.split(separator: " ").dropFirst().joined(separator: " ") } ?? ""
    }

    private func fingerprint(_ key: String) -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lab-key-\(UUID().uuidString).pub").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        FileManager.default.createFile(atPath: file, contents: Data((key + "\n").utf8))
        let out = run("/usr/bin/ssh-keygen", ["-l", "-f", file]).stdout
        return out.split(separator: " ").dropFirst().first.map(String.init) ?? "?"
    }

    @discardableResult
    private func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return Output(status: -1, stdout: "", stderr: "\(error)") }
        let collected = Collected()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            collected.err = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: collected.err, as: UTF8.self))
    }
}

/// Filled by one reader thread, read after it is done.
private final class Collected: @unchecked Sendable {
    var err = Data()
}
