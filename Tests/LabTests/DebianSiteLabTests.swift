import Foundation
import XCTest

/// The WordPress job on Debian 12 hosts shaped like Debian's AMI (`scripts/lab launch NAME
/// --fresh --kind debian`): systemd as PID 1, apt, login user `admin`, and Debian's policy
/// that installing a service's package enables and starts it (which check mode must
/// predict). Typed as the README types it, then an EC2 stop/start and an instance launched
/// from a provisioned host's disk.
final class DebianSiteLabTests: XCTestCase {
    var lab: FreshInstances!

    override func setUpWithError() throws { lab = try FreshInstances(kind: "debian") }
    override func tearDown() { lab?.destroyAll() }

    func testFreshDebianHostsServeWordPressThenChangeNothingAndCheckModePredictsTheRun() throws {
        let addresses = [try lab.launchFresh("deb-a"), try lab.launchFresh("deb-b")]
        _ = try lab.launchFresh("deb-c")

        // What the facts must recognise, and what Debian's AMI is like.
        let host = Lab.ssh("deb-a", ". /etc/os-release; echo $ID $VERSION_ID; cat /proc/1/comm; id -un; command -v dnf || echo no-dnf")
        XCTAssertEqual(host.stdout, "debian 12\nsystemd\nadmin\nno-dnf\n", host.all)

        // Check mode on a fresh host first: its count must be the real run's.
        let predicted = lab.readmeCall(["deb-c"], extra: ["--check"], site: "deb_check")
        XCTAssertEqual(predicted.status, 0, predicted.all)
        XCTAssertEqual(Lab.ssh("deb-c", "dpkg-query -W -f='${Status}' apache2 2>/dev/null || echo absent").stdout, "absent\n",
                       "check mode installed something")

        let first = lab.readmeCall(["deb-a", "deb-b"], site: "deb_site")
        XCTAssertEqual(first.status, 0, "first run failed:\n\(first.all)")
        XCTAssertGreaterThan(lab.changed(first)["deb-a"] ?? 0, 0, first.stdout)
        for address in addresses {
            let page = Lab.run("/usr/bin/curl", ["-sS", "-m", "20", "http://\(address)/wp-admin/install.php"])
            XCTAssertTrue(page.stdout.contains("Already Installed"), "WordPress not served installed by \(address): \(page.all.suffix(300))")
        }
        for name in ["deb-a", "deb-b"] {
            let services = Lab.ssh(name, "systemctl is-active apache2; systemctl is-enabled apache2")
            XCTAssertEqual(services.stdout, "active\nenabled\n", "\(name): \(services.all)")
            let owners = Lab.ssh(name, "sudo stat -c '%U %G %a' /var/www/html/wp-config.php; stat -c '%U %G' /var/www/html/index.php")
            XCTAssertEqual(owners.stdout, "root www-data 640\nwww-data www-data\n", "\(name): \(owners.all)")
        }

        // The run that changed packages left the pending-upgrades answer current (stamped with
        // dpkg's status and the lists as they are now): the next no-op, and every instance
        // launched from this disk, reads it instead of running apt-get -s upgrade.
        let kept = Lab.ssh("deb-a", "c=/var/lib/provision/apt-upgradable; "
            + "[ \"$(head -n 1 $c)\" = \"$(stat -c %Y.%Z /var/lib/dpkg/status /var/lib/apt/lists | tr '\\n' ' ')\" ] && echo current")
        XCTAssertEqual(kept.stdout, "current\n", "the first run left a stale pending-upgrades answer: \(kept.all)")

        let second = lab.readmeCall(["deb-a", "deb-b"], site: "deb_site")
        XCTAssertEqual(second.status, 0, second.all)
        XCTAssertEqual(lab.changed(second), ["deb-a": 0, "deb-b": 0], second.stdout)

        // EC2 stop/start: the disk survives, apache2 (enabled by its package) comes back at boot.
        XCTAssertTrue(lab.stopAndStart("deb-b", servedAt: addresses[1]), "WordPress not served after deb-b booted again")
        let afterBoot = lab.readmeCall(["deb-b"], site: "deb_site")
        XCTAssertEqual(lab.changed(afterBoot), ["deb-b": 0], afterBoot.stdout)

        // An instance launched from deb-a's disk (an AMI): new address and host key, same state.
        let copyAddress = lab.launch("deb-d", from: "deb-a")
        XCTAssertNotEqual(copyAddress, addresses[0])
        XCTAssertTrue(lab.served(copyAddress), "WordPress not served by the instance launched from deb-a's disk")
        let onCopy = lab.readmeCall(["deb-d"], site: "deb_site")
        XCTAssertEqual(onCopy.status, 0, onCopy.all)
        XCTAssertEqual(lab.changed(onCopy), ["deb-d": 0], onCopy.stdout)

        let real = lab.readmeCall(["deb-c"], site: "deb_check")
        XCTAssertEqual(real.status, 0, real.all)
        XCTAssertEqual(lab.changed(predicted)["deb-c"], lab.changed(real)["deb-c"],
                       "check mode on a fresh host must predict the real run:\n\(predicted.stdout)\n---\n\(real.stdout)")
    }
}
