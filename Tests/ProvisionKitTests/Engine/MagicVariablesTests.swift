import Foundation
import XCTest
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// The magic variables validate counts as defined are the ones a run defines: each is read
/// by a real run here (LocalConnection), and a name the run does not define is refused.
final class MagicVariablesTests: XCTestCase {
    func testEveryMagicVariableValidateAcceptsIsDefinedOnTheHost() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        // ansible_failed_task/result exist only in a rescue: BlockTests reads them there.
        let names = MagicVariables.names.subtracting(["omit"]).subtracting(MagicVariables.fromRescue).sorted()
        let tasks = names.map { "    - name: \($0)\n      debug: msg=\"{{ \($0) }}\"\n" }.joined()
        let (reporter, recap) = try local.run("- hosts: machines\n  tasks:\n" + tasks, options: LocalPlaybook.check(),
                                              hosts: ["web-1.example", "web-2.example"])
        XCTAssertEqual(recap.map(\.1.failed), [0, 0], "\(reporter.tasks.filter { $0.status == .failed }.map { "\($0.task): \($0.message ?? "")" })")
        func message(_ task: String, on host: String = "web-1.example") -> String? {
            reporter.tasks.first { $0.task == task && $0.host == host }?.message
        }
        XCTAssertEqual(message("inventory_hostname_short"), "web-1")
        XCTAssertEqual(message("ansible_check_mode"), "True")
        XCTAssertEqual(message("ansible_diff_mode"), "False")
        XCTAssertEqual(message("playbook_dir"), URL(fileURLWithPath: local.directory).standardizedFileURL.path)
        XCTAssertEqual(message("ansible_play_hosts", on: "web-2.example"), #"["web-1.example","web-2.example"]"#)
        XCTAssertTrue(message("groups")?.contains(#""machines":["web-1.example","web-2.example"]"#) == true, message("groups") ?? "")
        XCTAssertTrue(message("ansible_facts")?.contains(#""os_family":"#) == true, message("ansible_facts") ?? "")
    }

    /// `hostvars`: another host's inventory variables, as roles read them.
    func testHostvarsHoldEveryHostsInventoryVariables() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let (reporter, recap) = try local.run("""
            - hosts: machines
              tasks:
                - name: the other host
                  debug: {msg: "{{ hostvars['web-2.example'].inventory_hostname }} {{ hostvars['web-2.example'].color }}"}
                - name: mine
                  debug: {msg: "{{ hostvars[inventory_hostname].group_names | join(',') }}"}
            """, hosts: ["web-1.example", "web-2.example"], hostVariables: ["color": "blue"])
        XCTAssertEqual(recap.map(\.1.failed), [0, 0], "\(reporter.tasks.map { "\($0.task): \($0.message ?? "")" })")
        XCTAssertEqual(reporter.tasks.first { $0.task == "the other host" && $0.host == "web-1.example" }?.message, "web-2.example blue")
        XCTAssertEqual(reporter.tasks.first { $0.task == "mine" }?.message, "machines")
    }

    func testAnsibleManagedAsACommentBlock() throws {
        let rendered = try TemplateEngine.render("{{ ansible_managed | comment }}\nx=1\n",
                                                 variables: ["ansible_managed": .string(MagicVariables.managedNotice)]).text
        XCTAssertEqual(rendered, "#\n# \(MagicVariables.managedNotice)\n#\nx=1\n")
    }

    func testANameTheRunDoesNotDefineIsRefusedByValidate() throws {
        let dir = try makeTempDir(["p.yml": "- hosts: all\n  tasks:\n    - debug: msg=\"{{ ansible_lsb.codename }}\"\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let problems = PlaybookValidator.validate(path: dir + "/p.yml").map { $0.description.replacingOccurrences(of: dir + "/", with: "") }
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems[0].hasPrefix("p.yml:3: undefined variable 'ansible_lsb'"), problems[0])
    }
}
