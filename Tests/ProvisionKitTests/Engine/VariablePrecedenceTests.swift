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

/// The documented order, low to high: group_vars/all.yml beside the playbook < inventory <
/// play vars < task vars < secrets (file or environment) < -e. One variable per pair of
/// neighbouring levels, written to a file by a real run, so each level is checked.
final class VariablePrecedenceTests: XCTestCase {
    func testEachLevelWinsOverTheOneBelow() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        try FileManager.default.createDirectory(atPath: local.directory + "/group_vars", withIntermediateDirectories: true)
        try """
            only_default: defaults
            inventory_over_default: defaults
            """.write(toFile: local.directory + "/group_vars/all.yml", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.secretVariables = SecretsFile.asSecrets(["secret_over_task": "secret", "extra_over_secret": "secret"])
        options.extraVariables = ["extra_over_secret": "extra"]
        let out = local.directory + "/levels"
        _ = try local.run("""
            - hosts: machines
              vars:
                play_over_inventory: play
                task_over_play: play
              tasks:
                - copy:
                    dest: \(out)
                    content: "{{ only_default }} {{ inventory_over_default }} {{ play_over_inventory }} {{ task_over_play }} {{ secret_over_task }} {{ extra_over_secret }}"
                  vars:
                    task_over_play: task
                    secret_over_task: task
            """, options: options, hostVariables: ["inventory_over_default": "inventory", "play_over_inventory": "inventory"])
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "defaults inventory play task secret extra")
    }

    /// The role layers where Ansible puts them: role defaults below everything (even
    /// group_vars/all.yml), role vars above play vars, task vars above role vars, role
    /// parameters above task vars, -e above all.
    func testRoleLevelsSitWhereAnsiblePutsThem() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let out = local.directory + "/levels"
        let files = [
            "group_vars/all.yml": "default_under_playbook_defaults: playbook-defaults\n",
            "roles/r/defaults/main.yml": "only_role_default: role-default\ndefault_under_playbook_defaults: role-default\n",
            "roles/r/vars/main.yml": "rolevars_over_play: role-vars\ntask_over_rolevars: role-vars\n",
            "roles/r/tasks/main.yml": """
                - copy:
                    dest: \(out)
                    content: "{{ only_role_default }} {{ default_under_playbook_defaults }} {{ rolevars_over_play }} {{ task_over_rolevars }} {{ param_over_task }} {{ extra_over_param }}"
                  vars:
                    task_over_rolevars: task
                    param_over_task: task
                """,
        ]
        for (path, text) in files {
            let full = local.directory + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        var options = RunOptions()
        options.extraVariables = ["extra_over_param": "extra"]
        let (reporter, _) = try local.run("""
            - hosts: machines
              vars:
                rolevars_over_play: play
              roles:
                - role: r
                  param_over_task: param
                  extra_over_param: param
            """, options: options)
        XCTAssertEqual(try? String(contentsOfFile: out, encoding: .utf8), "role-default playbook-defaults role-vars task param extra",
                       "\(reporter.tasks.map { "\($0.task): \($0.message ?? "")" })")
    }
}
