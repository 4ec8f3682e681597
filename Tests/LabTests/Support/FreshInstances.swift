import Foundation
import XCTest

/// Instances of one lab host kind that a test launches (`scripts/lab launch NAME --fresh
/// --kind KIND`) and destroys, and the README's call on them: hosts from the lab's
/// ssh_config, the RDS master password from the environment, run from a directory of the
/// test's own (where `secrets.yml` appears), with `--json` for the recap.
final class FreshInstances {
    let kind: String
    let work: String
    /// This test's own suffix for database names: the db host outlives a test, and a site
    /// installed by an earlier run would make a check and a real run of the same site differ.
    let run = UUID().uuidString.prefix(6).lowercased()
    private(set) var launched: [String] = []

    init(kind: String) throws {
        try Lab.require()
        self.kind = kind
        work = NSTemporaryDirectory() + "\(kind)-site-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    func destroyAll() {
        // The hosts on another's image first: its snapshot goes with the last of them.
        for host in launched.reversed() { Lab.lab(["destroy", host]) }
        try? FileManager.default.removeItem(atPath: work)
    }

    /// A new instance from the kind's clean image, trusted (its key in known_hosts); its address.
    func launchFresh(_ name: String) throws -> String {
        Lab.lab(["destroy", name])
        let out = Lab.lab(["launch", name, "--fresh", "--kind", kind, "--trust"])
        guard out.status == 0, let address = out.stdout.split(separator: " ").dropFirst().first else {
            throw Prerequisite.missing("cannot launch a \(kind) host \(name) (scripts/lab build builds the kind): \(out.all)")
        }
        launched.append(name)
        let login = Lab.lab(["check-login", name])
        XCTAssertEqual(login.status, 0, "cannot log in to \(name): \(login.all)")
        return String(address)
    }

    /// A new instance from `source`'s disk, as from an AMI of it; its address.
    func launch(_ name: String, from source: String) -> String {
        let copy = Lab.lab(["launch", name, "--from", source, "--trust"])
        XCTAssertEqual(copy.status, 0, copy.all)
        launched.append(name)
        XCTAssertEqual(Lab.lab(["check-login", name]).status, 0)
        return String(copy.stdout.split(separator: " ").dropFirst().first ?? "")
    }

    /// Many hosts on `source`'s image (`lab launch --shared`: its snapshot as a read-only
    /// layer, taken afresh first), as an Auto Scaling group launches them from one AMI.
    func launchShared(_ names: [String], from source: String) {
        XCTAssertEqual(Lab.lab(["snapshot", source]).status, 0, "snapshot of \(source)")
        for name in names {
            Lab.lab(["destroy", name])
            let out = Lab.lab(["launch", name, "--from", source, "--shared", "--trust"])
            XCTAssertEqual(out.status, 0, out.all)
            launched.append(name)
        }
    }

    /// Each site name is its own database and user (suffixed with `run`).
    func readmeCall(_ hosts: [String], extra: [String] = [], site: String) -> Lab.Output {
        Lab.provision(["-F", Lab.sshConfig, "-e", "db_host=10.0.20.10", "-e", "wordpress_archive=\(Lab.wordpressArchive)",
                       "-e", "db_name=\(site)_\(run)", "-e", "db_user=\(site)_\(run)", "--json"] + extra + hosts,
                      environment: ["PROVISION_DB_ADMIN_PASSWORD": Lab.dbAdminPassword], directory: work)
    }

    func changed(_ out: Lab.Output) -> [String: Int] { Lab.recap(out.stdout).mapValues { $0["changed"] ?? -1 } }

    /// The installed site served at `address` within 10 s (a host just booted starts its services).
    func served(_ address: String) -> Bool {
        for _ in 0..<50 {
            if Lab.run("/usr/bin/curl", ["-sS", "-m", "5", "http://\(address)/wp-admin/install.php"]).stdout.contains("Already Installed") { return true }
            usleep(200_000)
        }
        return false
    }

    /// Every file and directory (path, size, mtime) where a package manager or provision
    /// keeps state, journal aside: equal before and after a run that must write nothing.
    func stateListing(_ name: String) -> String {
        Lab.ssh(name, "sudo find /var/cache/dnf /var/cache/yum /var/lib/apt /var/cache/apt /var/log /var/lib/provision /etc "
                + "-path /var/log/journal -prune -o -printf '%p %s %T@\\n' 2>/dev/null | sort").stdout
    }

    /// EC2 stop/start of `name`: its disk survives; true when it serves the site again.
    func stopAndStart(_ name: String, servedAt address: String) -> Bool {
        XCTAssertEqual(Lab.lab(["stop", name]).status, 0)
        XCTAssertNotEqual(Lab.run("/usr/bin/curl", ["-sS", "-m", "3", "http://\(address)/"]).status, 0, "\(name) still answers after stop")
        let started = Lab.lab(["start", name])
        XCTAssertEqual(started.status, 0, started.all)
        XCTAssertEqual(Lab.lab(["check-login", name]).status, 0)
        return served(address)
    }
}
