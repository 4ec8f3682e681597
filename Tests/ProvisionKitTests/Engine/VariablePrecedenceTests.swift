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
}
