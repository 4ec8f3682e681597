import Foundation
import XCTest

/// The WordPress job on Amazon Linux 2-like hosts of the lab (`scripts/lab launch NAME --fresh
/// --kind al2`): systemd as PID 1, `yum` (dnf underneath), an amzn2-core repo whose php is
/// 5.4 (files-less), so PHP 8.2 must come from the extras topic `php8.2` (packages named
/// php-* as AL2's extras name them), httpd + php-fpm, user apache. Typed as the README types it,
/// then an EC2 stop/start and an instance launched from a provisioned host's disk.
final class AL2SiteLabTests: XCTestCase {
    var lab: FreshInstances!

    override func setUpWithError() throws { lab = try FreshInstances(kind: "al2") }
    override func tearDown() { lab?.destroyAll() }

    /// The end-of-support warnings of one run, per host.
    func endOfSupportWarnings(_ out: Lab.Output) -> [String: Int] {
        var count: [String: Int] = [:]
        for event in Lab.jsonLines(out.stdout) where event["event"] as? String == "warning" {
            guard let message = event["message"] as? String, message.contains("Amazon Linux 2 reached end of support") else { continue }
            count[event["host"] as? String ?? "-", default: 0] += 1
        }
        return count
    }

    func testFreshAL2HostsServeWordPressFromTheExtrasTopicThenChangeNothingAndCheckModePredictsTheRun() throws {
        let addresses = [try lab.launchFresh("al2-a"), try lab.launchFresh("al2-b")]
        _ = try lab.launchFresh("al2-c")

        // The host is what the facts must recognise, and what AL2 is like: core php is old.
        let host = Lab.ssh("al2-a", """
            . /etc/os-release; echo $ID $VERSION_ID; cat /etc/system-release; cat /proc/1/comm
            command -v apt-get || echo no-apt; amazon-linux-extras list | grep -c available
            yum -q list available php 2>/dev/null | awk '$1 == "php.noarch" { print $2, $3 }'
            """)
        XCTAssertEqual(host.stdout, "amzn 2\nAmazon Linux release 2 (Karoo)\nsystemd\nno-apt\n7\n5.4.16-1.amzn2.lab amzn2-core\n", host.all)

        // Check mode on a fresh host first: its count must be the real run's, and it writes nothing.
        let predicted = lab.readmeCall(["al2-c"], extra: ["--check"], site: "al2_check")
        XCTAssertEqual(predicted.status, 0, predicted.all)
        XCTAssertFalse(Lab.ssh("al2-c", "test -e /etc/yum.repos.d/amzn2-extras.repo && echo enabled").stdout.contains("enabled"))

        let first = lab.readmeCall(["al2-a", "al2-b"], site: "al2_site")
        XCTAssertEqual(first.status, 0, "first run failed:\n\(first.all)")
        XCTAssertGreaterThan(lab.changed(first)["al2-a"] ?? 0, 0, first.stdout)
        // Two plays (database, web), one warning per host and run.
        XCTAssertEqual(endOfSupportWarnings(first), ["al2-a": 1, "al2-b": 1], first.stdout)
        for address in addresses {
            // Served, and installed by the run: install.php no longer offers the site to anyone.
            let page = Lab.run("/usr/bin/curl", ["-sS", "-m", "20", "http://\(address)/wp-admin/install.php"])
            XCTAssertTrue(page.stdout.contains("Already Installed"), "WordPress not served installed by \(address): \(page.all.suffix(300))")
        }
        for name in ["al2-a", "al2-b"] {
            let services = Lab.ssh(name, "systemctl is-active httpd php-fpm; systemctl is-enabled httpd php-fpm")
            XCTAssertEqual(services.stdout, "active\nactive\nenabled\nenabled\n", "\(name): \(services.all)")
            let owners = Lab.ssh(name, "sudo stat -c '%U %G %a' /var/www/html/wp-config.php; stat -c '%U %G' /var/www/html /var/www/html/index.php")
            XCTAssertEqual(owners.stdout, "root apache 640\napache apache\napache apache\n", "\(name): \(owners.all)")
            // PHP 8.2 from the topic (not core's 5.4), through php-fpm as apache.
            let php = Lab.ssh(name, """
                amazon-linux-extras list | awk '$2 == "php8.2=latest" { print $3 }'
                rpm -q --qf '%{NAME} %{VERSION}\\n' php-fpm php-mysqlnd | cut -d. -f1,2
                pgrep -u apache -f 'php-fpm: pool www' >/dev/null && echo fpm-as-apache
                """)
            XCTAssertEqual(php.stdout, "enabled\nphp-fpm 8.2\nphp-mysqlnd 8.2\nfpm-as-apache\n", "\(name): \(php.all)")
        }

        // AL2 converges: nothing changed, no handler.
        let second = lab.readmeCall(["al2-a", "al2-b"], site: "al2_site")
        XCTAssertEqual(second.status, 0, second.all)
        XCTAssertEqual(lab.changed(second), ["al2-a": 0, "al2-b": 0], second.stdout)
        XCTAssertEqual(endOfSupportWarnings(second), ["al2-a": 1, "al2-b": 1], second.stdout)

        // EC2 stop/start: the disk survives, enabled services come back at boot, no run needed.
        XCTAssertTrue(lab.stopAndStart("al2-b", servedAt: addresses[1]), "WordPress not served after al2-b booted again")
        let afterBoot = lab.readmeCall(["al2-b"], site: "al2_site")
        XCTAssertEqual(lab.changed(afterBoot), ["al2-b": 0], afterBoot.stdout)

        // An instance launched from al2-a's disk (an AMI): new address and host key, same state.
        let copyAddress = lab.launch("al2-d", from: "al2-a")
        XCTAssertNotEqual(copyAddress, addresses[0])
        XCTAssertTrue(lab.served(copyAddress), "WordPress not served by the instance launched from al2-a's disk")
        let onCopy = lab.readmeCall(["al2-d"], site: "al2_site")
        XCTAssertEqual(onCopy.status, 0, onCopy.all)
        XCTAssertEqual(lab.changed(onCopy), ["al2-d": 0], onCopy.stdout)

        let real = lab.readmeCall(["al2-c"], site: "al2_check")
        XCTAssertEqual(real.status, 0, real.all)
        XCTAssertEqual(lab.changed(predicted)["al2-c"], lab.changed(real)["al2-c"],
                       "check mode on a fresh host must predict the real run:\n\(predicted.stdout)\n---\n\(real.stdout)")
    }
}
