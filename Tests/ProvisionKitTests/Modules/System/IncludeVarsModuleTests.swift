import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// `include_vars` through the real engine on this machine (a Debian host: its facts pick the
/// file), and what validate and the preflight know of the variables before the run.
final class IncludeVarsModuleTests: XCTestCase {
    func testAFileIsReadOnceForAllHostsButAnEditIsSeen() throws {
        let path = NSTemporaryDirectory() + "include-vars-\(UUID().uuidString.prefix(8)).yml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "a: 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try IncludeVarsModule.load(path)["a"], 1)
        XCTAssertEqual(try IncludeVarsModule.load(path)["a"], 1, "the second host gets the same values")
        try "a: 22\nb: 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try IncludeVarsModule.load(path)["a"], 22, "an edited file is read again")
    }

    var local: LocalPlaybook!

    override func setUpWithError() throws {
        local = try LocalPlaybook()
        let vars = local.directory + "/vars"
        try FileManager.default.createDirectory(atPath: vars, withIntermediateDirectories: true)
        try "web_package: apache2\nweb_user: www-data\n".write(toFile: vars + "/Debian.yml", atomically: true, encoding: .utf8)
        try "web_package: httpd\nconfig_dir: /etc/httpd\n".write(toFile: vars + "/RedHat.yml", atomically: true, encoding: .utf8)
        try "port: 8080\ndb_password: hunter2-included\n".write(toFile: local.directory + "/extra.yml", atomically: true, encoding: .utf8)
    }

    override func tearDown() { local?.remove() }

    let playbook = """
        - hosts: machines
          tasks:
            - name: os vars
              include_vars: "{{ ansible_os_family }}.yml"
            - name: extra under one name
              include_vars: {file: extra.yml, name: extra}
            - name: what the facts chose
              assert:
                that:
                  - web_package == "apache2"
                  - extra.port == 8080
            - name: shows the password
              debug: {msg: "{{ extra.db_password }}"}
        """

    func testTheFileTheFactsNameIsReadAndItsVariablesReachLaterTasks() throws {
        let (reporter, recap) = try local.run(playbook)
        XCTAssertEqual(recap.first?.1.failed, 0, "\(reporter.tasks.map { "\($0.task): \($0.status) \($0.message ?? "")" })")
        XCTAssertTrue(reporter.tasks.first { $0.task == "os vars" }?.message?.contains("/vars/Debian.yml") == true)
        let shown = reporter.tasks.first { $0.task == "shows the password" }?.message ?? ""
        XCTAssertFalse(shown.contains("hunter2"), "a secret by name from an included file must be masked: \(shown)")
    }

    func testValidateCountsTheVariablesOfEveryFileTheNameCanMatch() throws {
        let path = local.directory + "/site.yml"
        try (playbook + "\n    - name: only RedHat's file has it\n      debug: {msg: \"{{ config_dir }}\"}\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let book = try PlaybookLoader.load(path: path)
        XCTAssertEqual(RunPreflight.validate(playbook: book).map(\.description), [])
        let task = try XCTUnwrap(book.plays.first?.tasks.first)
        XCTAssertEqual(IncludeVarsModule.variablesNamed(by: task), ["config_dir", "web_package", "web_user"])
    }

    func testAMissingFileFailsTheTaskNamingWhereItLooked() throws {
        let (reporter, recap) = try local.run("""
            - hosts: machines
              tasks:
                - include_vars: nowhere.yml
            """)
        XCTAssertEqual(recap.first?.1.failed, 1)
        let message = reporter.tasks.first?.message ?? ""
        XCTAssertTrue(message.contains("'nowhere.yml' not found") && message.contains(local.directory + "/vars/nowhere.yml"), message)
    }
}
