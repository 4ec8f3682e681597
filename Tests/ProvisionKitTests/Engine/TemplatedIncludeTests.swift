import Foundation
import XCTest
@testable import Engine
@testable import Playbook
@testable import ProvisionCore

/// `include_tasks: setup-{{ ansible_os_family }}.yml` through the real engine on this
/// machine (a Debian host): the Debian file's tasks run, the others are skipped, and a name
/// that matches no file fails the host with what it rendered to.
final class TemplatedIncludeTests: XCTestCase {
    func testTheHostsFactsChooseTheFileAndANameWithNoFileFails() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let d = local.directory
        try "- name: apt side\n  command: touch \(d)/debian\n".write(toFile: d + "/setup-Debian.yml", atomically: true, encoding: .utf8)
        try "- name: dnf side\n  command: touch \(d)/redhat\n".write(toFile: d + "/setup-RedHat.yml", atomically: true, encoding: .utf8)
        let yaml = """
            - hosts: machines
              tasks:
                - include_tasks: "setup-{{ family | default(ansible_os_family) }}.yml"
            """
        let (reporter, recap) = try local.run(yaml)
        XCTAssertEqual(recap.first?.1.failed, 0, "\(reporter.tasks.map { "\($0.task): \($0.status) \($0.message ?? "")" })")
        XCTAssertEqual(reporter.status(of: "apt side"), .changed)
        XCTAssertEqual(reporter.status(of: "dnf side"), .skipped)
        XCTAssertTrue(FileManager.default.fileExists(atPath: d + "/debian"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: d + "/redhat"))

        var options = RunOptions()
        options.extraVariables = ["family": "Suse"]
        let (other, otherRecap) = try local.run(yaml, options: options)
        XCTAssertEqual(otherRecap.first?.1.failed, 1)
        let failure = other.tasks.first { $0.status == .failed }
        XCTAssertEqual(failure?.message, "include_tasks: this host's file is 'setup-Suse.yml', which is none of setup-Debian.yml, setup-RedHat.yml")
    }
}
