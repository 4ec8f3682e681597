import Foundation
import XCTest
@testable import Engine

/// Issue 19, pull mode at boot, as an instance does it: the static release binary and a bundle
/// served over HTTP from the controller, fetched by each lab web host and run there as root
/// (`provision pull`, local transport, no SSH), every host at once against the lab database.
///
/// Needs the static binary: `swift build -c release --static-swift-stdlib` (or
/// PROVISION_STATIC_BINARY=path).
final class PullLabTests: XCTestCase {
    var work = ""
    var served = ""
    var server: Process?
    var port = 0

    override func setUpWithError() throws {
        try Lab.require()
        work = NSTemporaryDirectory() + "pull-lab-\(UUID().uuidString.prefix(8))"
        served = work + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.terminate()
        server?.waitUntilExit()
        try? FileManager.default.removeItem(atPath: work)
    }

    static var staticBinary: String? {
        let candidates = [ProcessInfo.processInfo.environment["PROVISION_STATIC_BINARY"],
                          Lab.repository + "/.build/release/provision",
                          Lab.repository + "/.build/x86_64-unknown-linux-gnu/release/provision"].compactMap { $0 }
        return candidates.first { path in
            FileManager.default.isExecutableFile(atPath: path)
                && !Lab.run("/usr/bin/ldd", [path]).stdout.contains("libswiftCore")   // the Swift runtime linked in
        }
    }

    /// `python3 -m http.server` on the controller's bridge address; the hosts reach it at 10.0.0.1.
    func serve() throws -> String {
        for _ in 0..<5 {
            let candidate = Int.random(in: 20000...40000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-m", "http.server", "--bind", "10.0.0.1", "--directory", served, String(candidate)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<50 where process.isRunning {
                if Lab.run("/usr/bin/curl", ["-fsS", "-o", "/dev/null", "http://10.0.0.1:\(candidate)/"]).status == 0 {
                    (server, port) = (process, candidate)
                    return "http://10.0.0.1:\(candidate)"
                }
                usleep(100_000)
            }
            process.terminate()
        }
        throw Prerequisite.missing("cannot start an HTTP server on 10.0.0.1")
    }

    /// Secrets reach a host through ssh's stdin (never an argument), as an image or an operator would put them.
    func installSecrets(on host: String, file: String) -> Lab.Output {
        Lab.run("/bin/sh", ["-c", "/usr/bin/ssh -F \(Lab.sshConfig) -o BatchMode=yes \(host) "
                + "'sudo -n sh -c \"umask 077; mkdir -p /var/lib/provision; cat >/var/lib/provision/secrets.yml\"' <\(file)"])
    }

    static func pull(on host: String, base: String, sum: String, extra: String = "") -> Lab.Output {
        Lab.ssh(host, "sudo -n sh -c 'cd /var/lib/provision && /usr/local/bin/provision pull --sha256 \(sum) \(base)/site.tar"
                + " -e db_host=10.0.20.10 -e db_name=pull_site -e db_user=pull_site -e wordpress_archive=\(base)/wordpress.tar.gz --json \(extra)'")
    }

    /// The boot script out of `provision cloud-init`'s user-data (the `content: |` block).
    static func bootScript(_ userData: String) -> String {
        let lines = userData.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasSuffix("content: |") }) else { return "" }
        return lines[(start + 1)...].prefix { $0.hasPrefix("      ") || $0.isEmpty }
            .map { $0.dropFirst(min(6, $0.count)) }.joined(separator: "\n") + "\n"
    }

    func testEveryWebHostRunsTheBootScriptAtOnceThenPullsAgainWithNoChange() throws {
        guard let binary = Self.staticBinary else {
            throw Prerequisite.missing("no static release binary: swift build -c release --static-swift-stdlib (or PROVISION_STATIC_BINARY)")
        }
        // The bundle, the binary and WordPress, served from the controller.
        let bundled = Lab.provision(["bundle", "-o", served + "/site.tar", "-p", Lab.repository + "/playbooks/site.yml"])
        XCTAssertEqual(bundled.status, 0, bundled.all)
        let sum = String(bundled.stdout.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(sum.count, 64, bundled.stdout)
        try FileManager.default.copyItem(atPath: binary, toPath: served + "/provision")
        try FileManager.default.copyItem(atPath: Lab.wordpressArchive, toPath: served + "/wordpress.tar.gz")
        let binarySum = Lab.run("/usr/bin/sha256sum", [binary]).stdout.prefix(64)
        let base = try serve()

        // The user-data a launch template would carry, and the script cloud-init would run from it.
        let userData = Lab.provision(["cloud-init", "--bundle-url", base + "/site.tar", "--bundle-sha256", sum,
                                      "--binary-url", base + "/provision", "--sha256", String(binarySum),
                                      "-e", "db_host=10.0.20.10", "-e", "db_name=pull_site", "-e", "db_user=pull_site",
                                      "-e", "wordpress_archive=\(base)/wordpress.tar.gz"])
        XCTAssertEqual(userData.status, 0, userData.all)
        let script = work + "/boot.sh"
        try Self.bootScript(userData.stdout).write(toFile: script, atomically: true, encoding: .utf8)
        XCTAssertTrue(try String(contentsOfFile: script, encoding: .utf8).hasPrefix("#!/bin/sh\n"), userData.stdout)

        let secrets = work + "/secrets.yml"
        let password = #"pull p'w"d $x;`y`"#
        FileManager.default.createFile(atPath: secrets, contents: Data(("db_admin_password: \"\(Lab.dbAdminPassword)\"\n"
            + "db_password: '\(password.replacingOccurrences(of: "'", with: "''"))'\n").utf8), attributes: [.posixPermissions: 0o600])
        XCTAssertEqual(Lab.provision(["secrets", "init", "--file", secrets]).status, 0)

        let hosts = Lab.recapHosts()
        XCTAssertGreaterThanOrEqual(hosts.count, 2, "the lab has \(hosts)")
        for host in hosts {
            let secretsCopied = installSecrets(on: host, file: secrets)
            XCTAssertEqual(secretsCopied.status, 0, secretsCopied.all)
        }

        // Every host boots at once: one database, one user, no "already exists".
        let results = PullResults()
        DispatchQueue.concurrentPerform(iterations: hosts.count) { index in
            results.set(hosts[index], Lab.run("/bin/sh", ["-c", "/usr/bin/ssh -F \(Lab.sshConfig) -o BatchMode=yes \(hosts[index]) 'sudo -n sh -s' <\(script)"]))
        }
        for host in hosts {
            let first = try XCTUnwrap(results.get(host))
            XCTAssertEqual(first.status, 0, "\(host) boot script failed:\n\(first.all.suffix(3000))")
            XCTAssertTrue(first.stdout.contains("provision-pull: finished: exit 0"), first.all.suffix(2000).description)
            XCTAssertFalse(first.all.contains(password), "the DB password was printed on \(host)")
            XCTAssertFalse(first.all.lowercased().contains("already exists"), first.all.suffix(2000).description)
            XCTAssertEqual(Lab.ssh(host, "sudo -n cat \(CloudInitUserData.statusFile)").stdout, "exit_code=0\n")
        }
        for (host, address) in Lab.webHostAddresses() where hosts.contains(host) {
            let page = Lab.run("/usr/bin/curl", ["-sS", "-m", "20", "-w", "\n%{http_code}", "http://\(address)/wp-admin/install.php"])
            // Served, and installed once for all the hosts pulling at the same moment: install.php is closed.
            XCTAssertTrue(page.stdout.hasSuffix("200") && page.stdout.contains("Already Installed"), "\(host) \(address): \(page.stdout.suffix(300))")
        }
        // The controller's client inside the first host's network namespace (the database answers web hosts only).
        let users = Lab.run("/usr/sbin/ip", ["netns", "exec", "plab-\(hosts[0])", "/usr/bin/mariadb", "-h", "10.0.20.10", "-u", "admin",
                                             "-N", "-B", "-e",
                                             "SELECT COUNT(*) FROM mysql.user WHERE User='pull_site'; SHOW DATABASES LIKE 'pull_site'"],
                            environment: ["MYSQL_PWD": Lab.dbAdminPassword])
        XCTAssertEqual(users.stdout.split(separator: "\n").map(String.init), ["1", "pull_site"], users.all)

        // Again by hand: nothing to change, and check mode predicts nothing.
        let second = Self.pull(on: hosts[0], base: base, sum: sum)
        XCTAssertEqual(second.status, 0, second.all.suffix(3000).description)
        XCTAssertEqual(Lab.recap(second.stdout)["localhost"]?["changed"], 0, second.stdout)
        let check = Self.pull(on: hosts[0], base: base, sum: sum, extra: "--check")
        XCTAssertEqual(Lab.recap(check.stdout)["localhost"]?["changed"], 0, check.stdout)

        // A bundle that does not match its checksum runs nothing (exit 1).
        let wrong = Self.pull(on: hosts[0], base: base, sum: String(repeating: "0", count: 64))
        XCTAssertEqual(wrong.status, 1, wrong.all)
        XCTAssertTrue(wrong.all.contains("sha256"), wrong.all)
        XCTAssertTrue(Lab.recap(wrong.stdout).isEmpty, "a run started: \(wrong.stdout)")
    }
}

extension Lab {
    /// The lab's web hosts named web-N with their addresses, in order.
    static func webHostAddresses() -> [(String, String)] {
        let text = (try? String(contentsOfFile: inventory, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line -> (String, String)? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("web-"), let colon = trimmed.firstIndex(of: ":"),
                  let at = trimmed.range(of: "ansible_host: ") else { return nil }
            let address = trimmed[at.upperBound...].prefix { $0.isNumber || $0 == "." }
            return (String(trimmed[..<colon]), String(address))
        }.sorted { (Int($0.0.dropFirst(4)) ?? 0) < (Int($1.0.dropFirst(4)) ?? 0) }
    }

    static func recapHosts() -> [String] { webHostAddresses().map(\.0) }
}

private final class PullResults: @unchecked Sendable {
    private let lock = NSLock()
    private var outputs: [String: Lab.Output] = [:]
    func set(_ host: String, _ output: Lab.Output) { lock.lock(); outputs[host] = output; lock.unlock() }
    func get(_ host: String) -> Lab.Output? { lock.lock(); defer { lock.unlock() }; return outputs[host] }
}
