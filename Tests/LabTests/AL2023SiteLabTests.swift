import Foundation
import XCTest

/// The WordPress job where the course runs it: Amazon Linux 2023-like hosts of the lab
/// (`scripts/lab launch NAME --fresh --kind al2023`): systemd as PID 1, dnf with RPMs named
/// as on AL2023 (php-fpm is a capability of php8.2-fpm), httpd + php-fpm, user apache, and
/// AL's preset policy (installed services start disabled). Typed as the README types it,
/// then an EC2 stop/start and an instance launched from a provisioned host's disk.
final class AL2023SiteLabTests: XCTestCase {
    var lab: FreshInstances!

    override func setUpWithError() throws { lab = try FreshInstances(kind: "al2023") }
    override func tearDown() { lab?.destroyAll() }

    func testFreshAL2023HostsServeWordPressThenChangeNothingAndCheckModePredictsTheRun() throws {
        let addresses = [try lab.launchFresh("al-a"), try lab.launchFresh("al-b")]
        _ = try lab.launchFresh("al-c")

        // The host is what the facts must recognise, and what AL2023 is like.
        let host = Lab.ssh("al-a", ". /etc/os-release; echo $ID $VERSION_ID; cat /proc/1/comm; command -v apt-get || echo no-apt")
        XCTAssertEqual(host.stdout, "amzn 2023\nsystemd\nno-apt\n", host.all)

        // Check mode on a fresh host first: its count must be the real run's, and it writes nothing.
        let fresh = lab.stateListing("al-c")
        let predicted = lab.readmeCall(["al-c"], extra: ["--check"], site: "al2023_check")
        XCTAssertEqual(predicted.status, 0, predicted.all)
        XCTAssertEqual(lab.stateListing("al-c"), fresh, "check mode wrote on a fresh host")

        let first = lab.readmeCall(["al-a", "al-b"], site: "al2023_site")
        XCTAssertEqual(first.status, 0, "first run failed:\n\(first.all)")
        XCTAssertGreaterThan(lab.changed(first)["al-a"] ?? 0, 0, first.stdout)
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
        let second = lab.readmeCall(["al-a", "al-b"], site: "al2023_site")
        XCTAssertEqual(second.status, 0, second.all)
        XCTAssertEqual(lab.changed(second), ["al-a": 0, "al-b": 0], second.stdout)
        // Where the no-op's time went, per host: a handshake, facts and probes; nothing applied.
        let phases = Lab.jsonLines(second.stdout).last { $0["event"] as? String == "recap" }?["phases"] as? [String: [String: Double]] ?? [:]
        XCTAssertEqual(Set(phases.keys), ["al-a", "al-b"], second.stdout)
        for (host, p) in phases {
            for phase in ["connect", "facts", "probe"] { XCTAssertGreaterThan(p[phase] ?? 0, 0, "\(host) \(phase): \(p)") }
        }
        // Check mode where dnf has metadata: answered from it, nothing refreshed or logged.
        let provisioned = lab.stateListing("al-a")
        let check = lab.readmeCall(["al-a"], extra: ["--check"], site: "al2023_site")
        XCTAssertEqual(lab.changed(check), ["al-a": 0], check.stdout)
        XCTAssertEqual(lab.stateListing("al-a"), provisioned, "check mode wrote on a provisioned host")

        // EC2 stop/start: the disk survives, enabled services come back at boot, no run needed.
        XCTAssertTrue(lab.stopAndStart("al-a", servedAt: addresses[0]), "WordPress not served after the host booted again")
        let afterBoot = lab.readmeCall(["al-a"], site: "al2023_site")
        XCTAssertEqual(lab.changed(afterBoot), ["al-a": 0], afterBoot.stdout)

        // An instance launched from al-b's disk (an AMI): new address, host key and hostname, same state.
        let copyAddress = lab.launch("al-d", from: "al-b")
        XCTAssertNotEqual(copyAddress, addresses[1])
        XCTAssertEqual(Lab.ssh("al-d", "hostname").stdout, "ip-\(copyAddress.replacingOccurrences(of: ".", with: "-"))\n")
        XCTAssertTrue(lab.served(copyAddress), "WordPress not served by the instance launched from al-b's disk")
        let onCopy = lab.readmeCall(["al-d"], site: "al2023_site")
        XCTAssertEqual(onCopy.status, 0, onCopy.all)
        XCTAssertEqual(lab.changed(onCopy), ["al-d": 0], onCopy.stdout)

        let real = lab.readmeCall(["al-c"], site: "al2023_check")
        XCTAssertEqual(real.status, 0, real.all)
        XCTAssertEqual(lab.changed(predicted)["al-c"], lab.changed(real)["al-c"],
                       "check mode on a fresh host must predict the real run:\n\(predicted.stdout)\n---\n\(real.stdout)")
    }
}
