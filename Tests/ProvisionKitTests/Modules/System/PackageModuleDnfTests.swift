import Foundation
import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

/// The yum/dnf path against a real dnf and rpm, with a local repository of small RPMs
/// built here with rpmbuild and createrepo_c.
final class PackageModuleDnfTests: XCTestCase {
    var local: LocalPlaybook!
    var repo = ""
    let repoFile = "/etc/yum.repos.d/provision-test.repo"
    let package = "provision-demo"

    override func setUpWithError() throws {
        for tool in ["/usr/bin/dnf", "/usr/bin/rpmbuild", "/usr/bin/createrepo_c"] where !FileManager.default.fileExists(atPath: tool) {
            throw Prerequisite.missing("\(tool) missing (scripts/install-deps installs dnf, rpm, createrepo-c)")
        }
        guard getuid() == 0 else { throw Prerequisite.missing("needs root to install RPMs") }
        local = try LocalPlaybook()
        repo = local.directory + "/repo"
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "/etc/yum.repos.d", withIntermediateDirectories: true)
        try buildRPM(version: "1.0")
        try "[provision-test]\nname=provision test\nbaseurl=file://\(repo)\ngpgcheck=0\nenabled=1\nmetadata_expire=0\n"
            .write(toFile: repoFile, atomically: true, encoding: .utf8)
        shell("rpm -e \(package) 2>/dev/null; dnf -q clean all")
    }

    override func tearDownWithError() throws {
        shell("rpm -e \(package) 2>/dev/null; rm -f \(repoFile)")
        local?.remove()
    }

    @discardableResult
    func shell(_ command: String) -> CommandResult {
        (try? LocalConnection().run(command)) ?? CommandResult(stdout: Data(), stderr: Data(), exitStatus: -1)
    }

    func buildRPM(version: String, provides: String? = nil) throws {
        let spec = """
            Name: \(package)
            Version: \(version)
            Release: 1
            \(provides.map { "Provides: \($0)" } ?? "")
            Summary: provision test package
            License: MIT
            BuildArch: noarch
            %description
            A file in /opt/provision-rpm-test.
            %install
            mkdir -p %{buildroot}/opt/provision-rpm-test
            echo \(version) > %{buildroot}/opt/provision-rpm-test/version
            %files
            /opt/provision-rpm-test/version
            """
        let specPath = local.directory + "/demo.spec"
        try spec.write(toFile: specPath, atomically: true, encoding: .utf8)
        let build = shell("rpmbuild -bb --define '_topdir \(local.directory)/rpmbuild' \(specPath) >/dev/null 2>&1 && cp \(local.directory)/rpmbuild/RPMS/noarch/*.rpm \(repo)/ && createrepo_c -q \(repo)")
        XCTAssertEqual(build.exitStatus, 0, build.stderrText)
    }

    func task(_ state: String) -> String {
        """
        - hosts: machines
          tasks:
            - name: demo package
              dnf:
                name: [\(package)]
                state: \(state)
        """
    }

    func installedVersion() -> String {
        let query = shell("rpm -q --qf '%{VERSION}' \(package)")
        return query.succeeded ? query.stdoutText : ""
    }

    func testPresentLatestAbsentWithCheckModePredictions() throws {
        // Check mode on a host without the package predicts the install and changes nothing.
        var (reporter, _) = try local.run(task("present"), options: LocalPlaybook.check())
        XCTAssertEqual(reporter.status(of: "demo package"), .changed)
        XCTAssertEqual(installedVersion(), "")

        (reporter, _) = try local.run(task("present"))
        XCTAssertEqual(reporter.status(of: "demo package"), .changed, reporter.tasks.first?.message ?? "")
        XCTAssertEqual(installedVersion(), "1.0")

        (reporter, _) = try local.run(task("present"))
        XCTAssertEqual(reporter.status(of: "demo package"), .ok)
        (reporter, _) = try local.run(task("latest"))
        XCTAssertEqual(reporter.status(of: "demo package"), .ok, "nothing newer yet")

        try buildRPM(version: "2.0")
        shell("dnf -q clean metadata")
        // Check mode sees the new version (dnf refreshes the expired metadata) but leaves
        // dnf's cache and logs as they were.
        let dnfState = "find /var/cache/dnf /var/log -maxdepth 3 \\( -path '/var/cache/dnf*' -o -name 'dnf*' -o -name hawkey.log \\) -printf '%p %s %T@\\n' 2>/dev/null | sort"
        let before = shell(dnfState).stdoutText
        (reporter, _) = try local.run(task("latest"), options: LocalPlaybook.check())
        XCTAssertEqual(reporter.status(of: "demo package"), .changed)
        XCTAssertEqual(installedVersion(), "1.0")
        XCTAssertEqual(shell(dnfState).stdoutText, before, "check mode wrote dnf's cache or logs")
        (reporter, _) = try local.run(task("latest"))
        XCTAssertEqual(reporter.status(of: "demo package"), .changed, reporter.tasks.first?.message ?? "")
        XCTAssertEqual(installedVersion(), "2.0")
        (reporter, _) = try local.run(task("latest"))
        XCTAssertEqual(reporter.status(of: "demo package"), .ok)

        (reporter, _) = try local.run(task("absent"))
        XCTAssertEqual(reporter.status(of: "demo package"), .changed)
        XCTAssertEqual(installedVersion(), "")
        (reporter, _) = try local.run(task("absent"))
        XCTAssertEqual(reporter.status(of: "demo package"), .ok)
    }

    func testAnUnknownPackageFailsWithDnfsMessage() throws {
        let (reporter, recap) = try local.run("""
            - hosts: machines
              tasks:
                - name: missing
                  dnf: {name: no-such-package-anywhere}
            """)
        XCTAssertEqual(recap.first?.1.failed, 1)
        XCTAssertTrue(reporter.tasks.first?.message?.contains("installing no-such-package-anywhere failed") ?? false,
                      reporter.tasks.first?.message ?? "")
    }

    /// On Amazon Linux 2023 `php-fpm` is a capability of `php8.2-fpm`: installed once, it
    /// must read as installed (rpm -q alone matches package names only).
    func testACapabilityProvidedByAnotherPackageIsInstalled() throws {
        try buildRPM(version: "1.0", provides: "provision-demo-capability")
        shell("dnf -q clean metadata")
        let play = """
            - hosts: machines
              tasks:
                - name: capability
                  dnf: {name: [provision-demo-capability]}
            """
        var (reporter, _) = try local.run(play)
        XCTAssertEqual(reporter.status(of: "capability"), .changed, reporter.tasks.first?.message ?? "")
        XCTAssertEqual(installedVersion(), "1.0")
        (reporter, _) = try local.run(play)
        XCTAssertEqual(reporter.status(of: "capability"), .ok, reporter.tasks.first?.message ?? "")
        (reporter, _) = try local.run(play, options: LocalPlaybook.check())
        XCTAssertEqual(reporter.status(of: "capability"), .ok, "check mode agrees")
        // The probe's own query: the capability with its provider's version; the others not at all.
        let query = shell(PackageManagerCommands(manager: .dnf).queryInstalled(["provision-demo-capability", package, "no-such-package"]))
        XCTAssertEqual(query.stdoutText, "provision-demo-capability\t1.0-1\n\(package)\t1.0-1\n")
    }

    /// dnf resolves names the probe cannot (a glob here): when dnf answers "Nothing to do",
    /// nothing changed, and no handler may fire.
    func testNothingToDoIsNoChange() throws {
        shell("dnf -q -y install \(package)")
        XCTAssertEqual(installedVersion(), "1.0")
        let (reporter, _) = try local.run("""
            - hosts: machines
              tasks:
                - name: glob
                  dnf: {name: ["provision-dem*"]}
                  notify: h
              handlers:
                - name: h
                  debug: {msg: fired}
            """)
        XCTAssertEqual(reporter.status(of: "glob"), .ok, reporter.tasks.first?.message ?? "")
        XCTAssertNil(reporter.status(of: "h"), "the handler fired")
    }
}
