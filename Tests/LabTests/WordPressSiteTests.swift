import Foundation
import XCTest

/// The job users run provision for, end to end on the lab: two fresh web hosts and one
/// database reached only through them (issue 6's five scenarios).
final class WordPressSiteTests: XCTestCase {
    var work = ""
    var secrets: String { work + "/secrets.yml" }

    override func setUpWithError() throws {
        try Lab.require()
        work = NSTemporaryDirectory() + "wp-site-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    /// The same arguments a user would type, pointed at the lab.
    func site(_ extra: [String], hosts: [String] = ["web-1", "web-2"]) -> Lab.Output {
        Lab.provision(["-i", Lab.inventory, "-F", Lab.sshConfig, "-p", Lab.repository + "/playbooks/site.yml",
                       "-e", "secrets_file=\(secrets)", "-e", "db_host=10.0.20.10",
                       "-e", "wordpress_archive=\(Lab.wordpressArchive)", "-e", "wordpress_title='Lab site'", "--json"] + extra + hosts)
    }

    func writeSecrets(dbPassword: String) throws {
        let text = "db_admin_password: \"\(Lab.dbAdminPassword)\"\ndb_password: '\(dbPassword.replacingOccurrences(of: "'", with: "''"))'\n"
        FileManager.default.createFile(atPath: secrets, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        let initialized = Lab.provision(["secrets", "init", "--file", secrets])
        XCTAssertEqual(initialized.status, 0, initialized.all)
    }

    /// The admin password `secrets init` generated into the secrets file.
    func generatedAdminPassword() throws -> String {
        let text = try String(contentsOfFile: secrets, encoding: .utf8)
        let line = text.split(separator: "\n").first { $0.hasPrefix("wordpress_admin_password: ") }
        let password = line.map { $0.dropFirst("wordpress_admin_password: ".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        return try XCTUnwrap(password, "no wordpress_admin_password in \(text.count) bytes of secrets")
    }

    func curl(_ address: String, _ path: String, _ extra: [String] = []) -> Lab.Output {
        Lab.run("/usr/bin/curl", ["-sS", "-m", "20", "-o", "-", "-w", "\n%{http_code}", "http://\(address)\(path)"] + extra)
    }

    func testSiteLifecycle() throws {
        // A password with every character that breaks naive quoting, end to end (scenario 4).
        let password = #"p'w"d\$x;--`y` z"#
        try writeSecrets(dbPassword: password)

        // 1. First run on fresh hosts.
        let first = site([])
        XCTAssertEqual(first.status, 0, "first run failed:\n\(first.all)")
        let firstRecap = Lab.recap(first.stdout)
        XCTAssertGreaterThan(firstRecap["web-1"]?["changed"] ?? 0, 0, first.stdout)
        XCTAssertFalse(first.all.contains(password), "the DB password was printed")
        // The site is installed by the run (wordpress_install: auto): nobody can claim it at
        // install.php, and both hosts serve it.
        for address in ["10.0.10.10", "10.0.11.10"] {
            let installer = curl(address, "/wp-admin/install.php")
            XCTAssertTrue(installer.stdout.contains("Already Installed"), "the installer is open on \(address): \(installer.stdout.suffix(300))")
            let front = curl(address, "/")
            XCTAssertTrue(front.stdout.hasSuffix("200"), "site not served by \(address): \(front.stdout.suffix(300))")
            XCTAssertTrue(front.stdout.contains("<title>Lab site"), front.stdout.suffix(300).description)
        }
        let installs = Lab.jsonLines(first.stdout).filter { ($0["task"] as? String ?? "").hasPrefix("WordPress installed") }
        XCTAssertEqual(installs.filter { $0["status"] as? String == "changed" }.count, 1,
                       "two hosts at once, one shared database: exactly one installs\n\(first.stdout)")
        let adminPassword = try generatedAdminPassword()
        XCTAssertFalse(first.all.contains(adminPassword), "the admin password was printed")

        // 2. An immediate re-run changes nothing, and check mode predicts nothing.
        let second = site([])
        XCTAssertEqual(second.status, 0, second.all)
        for host in ["web-1", "web-2"] {
            XCTAssertEqual(Lab.recap(second.stdout)[host]?["changed"], 0, "re-run changed something on \(host):\n\(second.stdout)")
        }
        let check = site(["--check"], hosts: ["web-1"])
        XCTAssertEqual(Lab.recap(check.stdout)["web-1"]?["changed"], 0, check.stdout)

        // wp-config.php: root-owned, readable by the web group only.
        let stat = Lab.ssh("web-1", "sudo stat -c '%U %G %a' /var/www/html/wp-config.php")
        XCTAssertEqual(stat.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "root www-data 640")

        // The generated admin logs in on web-1; the login cookie is accepted by web-2 (same
        // salts, same database).
        let jar = work + "/cookies"
        _ = curl("10.0.10.10", "/wp-login.php", ["-c", jar, "-b", jar, "--data-urlencode", "log=wpadmin",
                                                 "--data-urlencode", "pwd=\(adminPassword)", "--data-urlencode", "testcookie=1",
                                                 "-H", "Cookie: wordpress_test_cookie=WP%20Cookie%20check"])
        let jarText = (try? String(contentsOfFile: jar, encoding: .utf8)) ?? ""
        let rewritten = jarText.replacingOccurrences(of: "10.0.10.10", with: "10.0.11.10")
        try rewritten.write(toFile: jar, atomically: true, encoding: .utf8)
        let admin = curl("10.0.11.10", "/wp-admin/", ["-b", jar])
        XCTAssertTrue(admin.stdout.hasSuffix("200"), "web-2 refused web-1's login cookie: \(admin.stdout.suffix(300))")
        XCTAssertTrue(admin.stdout.contains("Dashboard"), admin.stdout.suffix(300).description)

        // 3. AMI relaunch: web-3 from web-1's disk, new address, new host key.
        XCTAssertEqual(Lab.lab(["snapshot", "web-1"]).status, 0)
        let launched = Lab.lab(["launch", "web-3", "--from", "web-1"])
        XCTAssertEqual(launched.status, 0, launched.all)
        defer { Lab.lab(["destroy", "web-3"]) }
        let refused = site([], hosts: ["web-1", "web-3"])
        XCTAssertEqual(refused.status, 4, "an unknown host key must make the run exit 4:\n\(refused.all)")
        XCTAssertTrue(refused.stdout.contains("--accept-new-host-keys"), refused.stdout)
        XCTAssertEqual(Lab.recap(refused.stdout)["web-1"]?["failed"], 0, "web-1 still completes: \(refused.stdout)")
        let relaunched = site(["--accept-new-host-keys", "-e", "site_marker='Sample 1c'"], hosts: ["web-3"])
        XCTAssertEqual(relaunched.status, 0, relaunched.all)
        let changedTasks = Lab.jsonLines(relaunched.stdout).filter { $0["status"] as? String == "changed" }.compactMap { $0["task"] as? String }
        XCTAssertEqual(changedTasks, ["Site marker on the front page"], "only host-specific items may change:\n\(relaunched.stdout)")

        // 5. The run is cut off during the WordPress unpack (controller killed, the unpack on
        //    the host killed with it): no marker is left, and the next run repairs the host.
        XCTAssertEqual(Lab.ssh("web-2", "sudo rm -rf /var/lib/provision/unarchive /var/www/html/wp-includes").status, 0)
        let interrupted = Process()
        interrupted.executableURL = URL(fileURLWithPath: Lab.provisionBinary)
        interrupted.arguments = ["-i", Lab.inventory, "-F", Lab.sshConfig, "-p", Lab.repository + "/playbooks/site.yml",
                                 "-e", "secrets_file=\(secrets)", "-e", "db_host=10.0.20.10",
                                 "-e", "wordpress_archive=\(Lab.wordpressArchive)", "web-2"]
        interrupted.standardOutput = FileHandle.nullDevice
        interrupted.standardError = FileHandle.nullDevice
        try interrupted.run()
        var sawUnpack = false
        for _ in 0..<300 where !sawUnpack {
            sawUnpack = Lab.ssh("web-2", "pgrep -x tar >/dev/null").status == 0
            if !sawUnpack { usleep(100_000) }
        }
        XCTAssertTrue(sawUnpack, "the unpack never started")
        kill(interrupted.processIdentifier, SIGKILL)
        Lab.ssh("web-2", "sudo pkill -KILL -x tar; true")
        interrupted.waitUntilExit()
        XCTAssertNotEqual(Lab.ssh("web-2", "ls /var/lib/provision/unarchive/ 2>/dev/null | grep -q .").status, 0,
                          "an interrupted unpack must not leave its marker")
        let repaired = site([], hosts: ["web-2"])
        XCTAssertEqual(repaired.status, 0, repaired.all)
        XCTAssertTrue(Lab.jsonLines(repaired.stdout).contains { ($0["task"] as? String ?? "").hasPrefix("WordPress unpacked") && $0["status"] as? String == "changed" })
        XCTAssertEqual(Lab.ssh("web-2", "test -f /var/www/html/wp-includes/version.php").status, 0, "unpack was not redone")
        XCTAssertTrue(curl("10.0.11.10", "/").stdout.hasSuffix("200"))
    }
}
