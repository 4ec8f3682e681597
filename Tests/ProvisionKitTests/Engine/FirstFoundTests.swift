import Foundation
import XCTest
@testable import Engine
@testable import Playbook
@testable import ProvisionCore

/// `with_first_found` through the real engine on this machine (a Debian host), the way
/// roles pick their per-OS variables, and what validate says of a file that is nowhere.
final class FirstFoundTests: XCTestCase {
    var local: LocalPlaybook!

    override func setUpWithError() throws {
        local = try LocalPlaybook()
        let vars = local.directory + "/vars"
        try FileManager.default.createDirectory(atPath: vars, withIntermediateDirectories: true)
        try "chosen: os_family\n".write(toFile: vars + "/Debian.yml", atomically: true, encoding: .utf8)
        try "chosen: default\n".write(toFile: vars + "/default.yml", atomically: true, encoding: .utf8)
    }

    override func tearDown() { local?.remove() }

    func testTheFirstFileThatExistsIsTheItemAndSkipTrueSkipsWhenNoneDoes() throws {
        let (reporter, recap) = try local.run("""
            - hosts: machines
              tasks:
                - name: per-OS variables
                  include_vars: "{{ item }}"
                  with_first_found:
                    - "{{ ansible_distribution }}-{{ ansible_distribution_major_version }}-nope.yml"
                    - "{{ ansible_os_family }}.yml"
                    - default.yml
                - name: the OS family's file won
                  assert: {that: ['chosen == "os_family"']}
                - name: optional
                  debug: {msg: "{{ item }}"}
                  with_first_found: {files: [nowhere.yml], skip: true}
            """)
        XCTAssertEqual(recap.first?.1.failed, 0, "\(reporter.tasks.map { "\($0.task): \($0.status) \($0.message ?? "")" })")
        XCTAssertTrue(reporter.tasks.first { $0.task.hasPrefix("per-OS variables") }?.message?.contains("vars/Debian.yml") == true,
                      "\(reporter.tasks.map { "\($0.task): \($0.message ?? "")" })")
        XCTAssertEqual(reporter.status(of: "optional"), .skipped)
    }

    func testValidateNamesTheLineAndWhereItLookedWhenNoFileExists() throws {
        let path = local.directory + "/site.yml"
        try """
            - hosts: all
              tasks:
                - include_vars: "{{ item }}"
                  with_first_found: [nowhere.yml, "also-{{ 'not' }}-here.yml"]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let problems = RunPreflight.validate(playbook: try PlaybookLoader.load(path: path)).map(\.description)
        XCTAssertEqual(problems.count, 1, "\(problems)")
        XCTAssertTrue(problems.first?.hasPrefix("\(path):4: with_first_found: none of nowhere.yml, also-not-here.yml was found") == true, "\(problems)")
        XCTAssertTrue(problems.first?.contains("skip: true") == true, "\(problems)")
    }
}
