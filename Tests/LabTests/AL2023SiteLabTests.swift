import Foundation
import XCTest

/// The WordPress job where the course runs it: Amazon Linux 2023-like hosts of the lab
/// (`scripts/lab launch NAME --fresh --kind al2023`): systemd as PID 1, dnf with RPMs named
/// as on AL2023 (php-fpm is a capability of php8.2-fpm), httpd + php-fpm, user apache, and
/// AL's preset policy (installed services start disabled). Typed as the README types it.
final class AL2023SiteLabTests: XCTestCase {
    var work = ""
    var launched: [String] = []

    override func setUpWithError() throws {
        try Lab.require()
        work = NSTemporaryDirectory() + "al2023-site-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    override func tearDown() {
        for host in launched { Lab.lab(["destroy", host]) }
        try? FileManager.default.removeItem(atPath: work)
    }

    func launchFresh(_ name: String) throws -> String {
        Lab.lab(["destroy", name])
        let out = Lab.lab(["launch", name, "--fresh", "--kind", "al2023", "--trust"])
        guard out.status == 0, let address = out.stdout.split(separator: " ").dropFirst().first else {
            throw Prerequisite.missing("cannot launch an al2023 host \(name) (scripts/lab build builds the kind): \(out.all)")
        }
        launched.append(name)
        let login = Lab.lab(["check-login", name])
        XCTAssertEqual(login.status, 0, "cannot log in to \(name): \(login.all)")
        return String(address)
    }

    /// Each database name is its own site: al-c's is new for its check and its real run alike.
    func readmeCall(_ hosts: [String], extra: [String] = [], site: String = "al2023_site") -> Lab.Output {
        Lab.provision(["-F", Lab.sshConfig, "-e", "db_host=10.0.20.10", "-e", "wordpress_archive=\(Lab.wordpressArchive)",
                       "-e", "db_name=\(site)", "-e", "db_user=\(site)", "--json"] + extra + hosts,
                      environment: ["PROVISION_DB_ADMIN_PASSWORD": Lab.dbAdminPassword], directory: work)
    }

    func changed(_ out: Lab.Output) -> [String: Int] { Lab.recap(out.stdout).mapValues { $0["changed"] ?? -1 } }

    func testFreshAL2023HostsServeWordPressThenChangeNothingAndCheckModePredictsTheRun() throws {
        let addresses = [try launchFresh("al-a"), try launchFresh("al-b")]
        _ = try launchFresh("al-c")

        // The host is what the facts must recognise, and what AL2023 is like.
        let host = Lab.ssh("al-a", ". /etc/os-release; echo $ID $VERSION_ID; cat /proc/1/comm; command -v apt-get || echo no-apt")
        XCTAssertEqual(host.stdout, "amzn 2023\nsystemd\nno-apt\n", host.all)

        // Check mode on a fresh host first: its count must be the real run's.
        let predicted = readmeCall(["al-c"], extra: ["--check"], site: "al2023_check")
        XCTAssertEqual(predicted.status, 0, predicted.all)

        let first = readmeCall(["al-a", "al-b"])
        XCTAssertEqual(first.status, 0, "first run failed:\n\(first.all)")
        XCTAssertGreaterThan(changed(first)["al-a"] ?? 0, 0, first.stdout)
        for address in addresses {
            // Served, and installed by the run: install.php no longer offers the site to anyone.
            let page = Lab.run("/usr/bin/curl", ["-sS", "-m", "20", "http://\(address)/wp-admin/install.php"])
            XCTAssertTrue(page.stdout.contains("Already Installed"), "WordPress not served installed by \(address): \(page.all.suffix(300))")
        }
        for name in ["al-a", "al-b"] {
            let services = Lab.ssh(name, "systemctl is-active httpd php-fpm; systemctl is-enabled httpd php-fpm")
            XCTAssertEqual(services.stdout, "active\nactive\nenabled\nenabled\n", "\(name): \(services.all)")
            let owners = Lab.ssh(name, "sudo stat -c '%U %G %a' /var/www/html/wp-config.php; stat -c '%U %G' /var/www/html/index.php")
            XCTAssertEqual(owners.stdout, "root apache 640\napache apache\n", "\(name): \(owners.all)")
            // PHP runs through php-fpm as apache, with mysqli.
            let fpm = Lab.ssh(name, "pgrep -u apache -f 'php-fpm: pool www' >/dev/null && echo fpm-as-apache")
            XCTAssertEqual(fpm.stdout, "fpm-as-apache\n", fpm.all)
        }

        // AL2023 converges: no package re-installed, no handler, nothing changed.
        let second = readmeCall(["al-a", "al-b"])
        XCTAssertEqual(second.status, 0, second.all)
        XCTAssertEqual(changed(second), ["al-a": 0, "al-b": 0], second.stdout)

        // EC2 stop/start: the disk survives, enabled services come back at boot, no run needed.
        XCTAssertEqual(Lab.lab(["stop", "al-a"]).status, 0)
        XCTAssertNotEqual(Lab.run("/usr/bin/curl", ["-sS", "-m", "3", "http://\(addresses[0])/"]).status, 0, "al-a still answers after stop")
        let started = Lab.lab(["start", "al-a"])
        XCTAssertEqual(started.status, 0, started.all)
        XCTAssertEqual(Lab.lab(["check-login", "al-a"]).status, 0)
        var served = false
        for _ in 0..<50 where !served {
            served = Lab.run("/usr/bin/curl", ["-sS", "-m", "5", "http://\(addresses[0])/wp-admin/install.php"]).stdout.contains("WordPress")
            if !served { usleep(200_000) }
        }
        XCTAssertTrue(served, "WordPress not served after the host booted again")
        let afterBoot = readmeCall(["al-a"])
        XCTAssertEqual(changed(afterBoot), ["al-a": 0], afterBoot.stdout)

        let real = readmeCall(["al-c"], site: "al2023_check")
        XCTAssertEqual(real.status, 0, real.all)
        XCTAssertEqual(changed(predicted)["al-c"], changed(real)["al-c"],
                       "check mode on a fresh host must predict the real run:\n\(predicted.stdout)\n---\n\(real.stdout)")
    }
}
