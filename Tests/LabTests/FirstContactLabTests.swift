import Foundation
import XCTest

/// Issue 14 on real lab hosts, each scenario typed the way the README tells a new user to:
/// hosts from an ssh config only, no secrets file, the built-in playbook, a directory of
/// the user's own. Fresh hosts come from the clean image (`scripts/lab launch --fresh`).
final class FirstContactLabTests: XCTestCase {
    var work = ""
    var launched: [String] = []

    override func setUpWithError() throws {
        try Lab.require()
        work = NSTemporaryDirectory() + "first-contact-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    override func tearDown() {
        for host in launched { Lab.lab(["destroy", host]) }
        try? FileManager.default.removeItem(atPath: work)
    }

    /// A fresh instance with its host key trusted; returns its address.
    func launchFresh(_ name: String) throws -> String {
        let out = Lab.lab(["launch", name, "--fresh", "--trust"])
        guard out.status == 0, let address = out.stdout.split(separator: " ").dropFirst().first else {
            throw Prerequisite.missing("cannot launch \(name): \(out.all)")
        }
        launched.append(name)
        return String(address)
    }

    /// `provision -F ssh_config -e db_host=… web-1a web-1c` as in the README, from `work`,
    /// the RDS master password in the environment.
    func readmeCall(_ hosts: [String], extra: [String] = [], adminPassword: String = Lab.dbAdminPassword) -> Lab.Output {
        Lab.provision(["-F", Lab.sshConfig, "-e", "db_host=10.0.20.10", "-e", "wordpress_archive=\(Lab.wordpressArchive)",
                       "-e", "db_name=first_contact", "-e", "db_user=first_contact", "--json"] + extra + hosts,
                      environment: ["PROVISION_DB_ADMIN_PASSWORD": adminPassword], directory: work)
    }

    func changed(_ out: Lab.Output) -> [String: Int] { Lab.recap(out.stdout).mapValues { $0["changed"] ?? -1 } }

    /// Per host, the tasks reported changed (by name), leaving out those named in `excluded`.
    func changedTasks(_ out: Lab.Output, excluding excluded: Set<String>) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for event in Lab.jsonLines(out.stdout) where event["event"] as? String == "task" && event["status"] as? String == "changed" {
            guard let host = event["host"] as? String, let task = event["task"] as? String, !excluded.contains(task) else { continue }
            result[host, default: []].append(task)
        }
        return result
    }

    func testTheReadmeCallOnTwoFreshHostsWithOnlyAnSSHConfigThenChangesNothing() throws {
        let addresses = [try launchFresh("fc-a"), try launchFresh("fc-b")]
        let hosts = ["fc-a", "fc-b"]

        // Check mode on fresh hosts predicts the real run's count, and writes nothing anywhere.
        let predicted = readmeCall(hosts, extra: ["--check"])
        XCTAssertEqual(predicted.status, 0, predicted.all)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/secrets.yml"), "check mode wrote the secrets file")

        let first = readmeCall(hosts)
        XCTAssertEqual(first.status, 0, "first run failed:\n\(first.all)")
        // Every task's prediction holds, except what only a refreshed package cache can tell:
        // check mode writes nothing, so it judges "everything up to date" on the lists the host
        // has, and says so; whether the refresh then finds upgrades depends on the mirror.
        let refreshDependent = "All packages up to date"
        // The site is installed once for the shared database (run_once): one host of the batch
        // runs the installer, whichever reaches it first, so check mode and the run may pick
        // different hosts; each runs it on exactly one.
        let siteInstaller = "WordPress installed (title, admin account)"
        XCTAssertEqual(changedTasks(predicted, excluding: [refreshDependent, siteInstaller]),
                       changedTasks(first, excluding: [refreshDependent, siteInstaller]),
                       "check mode on fresh hosts must predict the first run:\n\(predicted.stdout)\n---\n\(first.stdout)")
        let installerEvents = { (out: Lab.Output) in Lab.jsonLines(out.stdout).filter { $0["event"] as? String == "task" && $0["task"] as? String == siteInstaller } }
        XCTAssertEqual(installerEvents(predicted).map { $0["status"] as? String }, ["changed"],
                       "check mode predicts the site install, on one host:\n\(predicted.stdout)")
        XCTAssertTrue(installerEvents(predicted).allSatisfy { ($0["message"] as? String)?.hasPrefix("would install") == true },
                      "and says so, rather than showing the missing PHP's error:\n\(predicted.stdout)")
        XCTAssertEqual(installerEvents(first).map { $0["message"] as? String ?? "" }, ["installed"],
                       "one host installs the site, the other takes its answer without starting PHP:\n\(first.stdout)")
        // Lists older than cache_valid_time: check mode says its prediction rests on them (or
        // predicts a change). Lists younger (an image built within the hour): no refresh is
        // due, so the prediction is exact and the run agrees with it.
        let updateEvents = { (out: Lab.Output) in Lab.jsonLines(out.stdout).filter { $0["event"] as? String == "task" && $0["task"] as? String == refreshDependent } }
        let restsOnLists = updateEvents(predicted).contains { ($0["message"] as? String)?.contains("a real run refreshes them first") == true || $0["status"] as? String == "changed" }
        let statusByHost = { (out: Lab.Output) in Set(updateEvents(out).map { "\($0["host"] as? String ?? "")=\($0["status"] as? String ?? "")" }) }
        let exactOnFreshLists = !updateEvents(predicted).isEmpty && statusByHost(predicted) == statusByHost(first)
        XCTAssertTrue(restsOnLists || exactOnFreshLists,
                      "check mode says its package prediction rests on the current lists, or it holds:\n\(predicted.stdout)\n---\n\(first.stdout)")
        XCTAssertGreaterThan(changed(first)["fc-b"] ?? 0, 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: work + "/secrets.yml")
        XCTAssertEqual(attributes[.posixPermissions] as? Int, 0o600, "secrets created on first use, private")
        let secrets = try String(contentsOfFile: work + "/secrets.yml", encoding: .utf8)
        for address in addresses {
            // Served, and installed by the run: install.php no longer offers the site to anyone.
            let page = Lab.run("/usr/bin/curl", ["-sS", "-m", "20", "http://\(address)/wp-admin/install.php"])
            XCTAssertTrue(page.stdout.contains("Already Installed"), "WordPress not served installed by \(address): \(page.all.suffix(300))")
        }

        let second = readmeCall(hosts)
        XCTAssertEqual(second.status, 0, second.all)
        XCTAssertEqual(changed(second), ["fc-a": 0, "fc-b": 0], second.stdout)
        XCTAssertEqual(try String(contentsOfFile: work + "/secrets.yml", encoding: .utf8), secrets, "secrets reused, never regenerated")
    }

    func testAFailedDatabaseStepLeavesEveryWebHostUnchanged() throws {
        _ = [try launchFresh("fc-c"), try launchFresh("fc-d")]
        let run = readmeCall(["fc-c", "fc-d"], adminPassword: "not-the-admin-password")
        XCTAssertEqual(run.status, 2, run.all)
        let events = Lab.jsonLines(run.stdout)
        let webTasks = events.filter { $0["event"] as? String == "task" && $0["play"] as? String == "WordPress web servers" }
        XCTAssertEqual(webTasks.count, 0, "a web host was provisioned without its database: \(webTasks)")
        XCTAssertTrue(events.contains { ($0["message"] as? String)?.contains("any_errors_fatal") == true }, "the output says why: \(run.stdout)")
        for host in ["fc-c", "fc-d"] {
            XCTAssertNotEqual(Lab.ssh(host, "dpkg -s apache2").status, 0, "\(host) got apache2")
            XCTAssertEqual(changed(run)[host], 0, run.stdout)
        }
    }

    func testAnUndefinedTemplateVariableStopsBeforeAnyHostIsTouched() throws {
        try "<?php\n$title = {{ site_title | php_string }};\n".write(toFile: work + "/page.php.j2", atomically: true, encoding: .utf8)
        try """
            - hosts: web
              become: true
              tasks:
                - name: a change that must not happen
                  file: {path: /var/tmp/first-contact-marker, state: touch}
                - name: page
                  template: {src: page.php.j2, dest: /var/tmp/first-contact-page.php}
            """.write(toFile: work + "/site.yml", atomically: true, encoding: .utf8)
        let listing = "sudo ls -la --time-style=full-iso /var/tmp /etc /var/www 2>&1 | sha256sum"
        let before = Lab.ssh("web-1", listing).stdout
        let run = Lab.provision(["-F", Lab.sshConfig, "-p", "site.yml", "web-1"], directory: work)
        XCTAssertEqual(run.status, 1, run.all)
        XCTAssertTrue(run.stderr.contains("page.php.j2:2: undefined variable 'site_title'"), run.stderr)
        XCTAssertEqual(Lab.ssh("web-1", listing).stdout, before, "the host changed")
        XCTAssertNotEqual(Lab.ssh("web-1", "test -e /var/tmp/first-contact-marker").status, 0)
    }

    func testInventoryAddressesGetTheSSHConfigBlockThatMatchesThem() throws {
        // Named by instance, reached at their private address, as the EC2 inventory does.
        try """
            all:
              children:
                web:
                  hosts:
                    i-0web1: {ansible_host: 10.0.10.10}
                    i-0web2: {ansible_host: 10.0.11.10}
            """.write(toFile: work + "/inventory.yml", atomically: true, encoding: .utf8)
        try """
            Host 10.0.*
              User ec2-user
              IdentityFile \(Lab.directory)/id_ed25519
              IdentitiesOnly yes
              UserKnownHostsFile \(Lab.knownHosts)
            """.write(toFile: work + "/ssh_config", atomically: true, encoding: .utf8)
        let ping = Lab.provision(["ping", "-F", "ssh_config", "--json", "web"], directory: work)
        XCTAssertEqual(ping.status, 0, ping.all)
        XCTAssertEqual(Set(Lab.recap(ping.stdout).keys), ["i-0web1", "i-0web2"], ping.stdout)
    }

    func testCheckModeCountsANotifiedUnguardedHandler() throws {
        let path = "/var/tmp/first-contact-\(UUID().uuidString.prefix(6))"
        try """
            - hosts: web
              become: true
              tasks:
                - name: config
                  copy: {content: "x\\n", dest: \(path)}
                  notify: reload
              handlers:
                - name: reload
                  command: /bin/true
            """.write(toFile: work + "/site.yml", atomically: true, encoding: .utf8)
        defer { Lab.ssh("web-1", "sudo rm -f \(path)") }
        let call = ["-F", Lab.sshConfig, "-p", "site.yml", "--json", "web-1"]
        let check = Lab.provision(call + ["--check"], directory: work)
        let real = Lab.provision(call, directory: work)
        XCTAssertEqual(real.status, 0, real.all)
        XCTAssertEqual(changed(real)["web-1"], 2, real.stdout)
        XCTAssertEqual(changed(check), changed(real), check.stdout)
        let handler = Lab.jsonLines(check.stdout).first { $0["task"] as? String == "reload" }
        XCTAssertEqual(handler?["assumed"] as? Bool, true, "marked as predicted without looking: \(check.stdout)")
    }
}
