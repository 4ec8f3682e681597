import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// `module_defaults:` on plays, blocks and tasks: the task's own arguments, then its own
/// defaults, then the innermost block's, then the play's.
final class ModuleDefaultsTests: XCTestCase {
    let modules = ModuleVocabulary(ModuleRegistry.specs)

    func load(_ text: String) throws -> Playbook { try PlaybookLoader.load(text: text, file: "p.yml", modules: modules) }

    func testTheTaskThenTheBlockThenThePlay() throws {
        let play = try XCTUnwrap(load("""
            - hosts: all
              module_defaults:
                ansible.builtin.file: {owner: root, mode: "0600", group: wheel}
                copy: {mode: "0640"}
              tasks:
                - file: {path: /a, mode: "0700"}
                - block:
                    - ansible.builtin.file: {path: /b}
                  module_defaults:
                    file: {owner: www-data}
                - command: echo
                - file: {path: /d}
                  module_defaults:
                    file: {owner: nobody, mode: "0444"}
            """).plays.first)
        let (a, b, c, d) = (play.tasks[0], play.tasks[1], play.tasks[2], play.tasks[3])
        XCTAssertEqual(a.arguments["mode"], "0700", "the task's own argument wins")
        XCTAssertEqual(a.arguments["owner"], "root")
        XCTAssertEqual(a.argumentLocations["owner"]?.line, 3, "a default is located where it is written")
        XCTAssertEqual(b.arguments["owner"], "www-data", "the block's default over the play's")
        XCTAssertEqual(b.arguments["group"], "wheel")
        XCTAssertEqual(b.arguments["mode"], "0600")
        XCTAssertNil(c.arguments["mode"], "defaults for other modules do not apply")
        XCTAssertEqual(d.arguments["owner"], "nobody", "the task's own defaults over the play's")
        XCTAssertEqual(d.arguments["mode"], "0444")
        XCTAssertEqual(d.arguments["group"], "wheel", "the play's where the task's own say nothing")
        XCTAssertEqual(d.argumentLocations["owner"]?.line, 14)
    }

    func testClearErrors() throws {
        let cases: [(String, String)] = [
            ("  module_defaults: {fille: {mode: '0600'}}\n", "p.yml:2: module_defaults: unknown module 'fille'"),
            ("  module_defaults: {group/aws: {region: x}}\n", "p.yml:2: module_defaults for an action group ('group/aws') is not supported yet"),
            ("  module_defaults: [file]\n", "p.yml:2: module_defaults must be a mapping"),
            ("  module_defaults: {file: 3}\n", "p.yml:2: module_defaults for file must be a mapping of arguments"),
        ]
        for (line, expected) in cases {
            XCTAssertThrowsError(try load("- hosts: all\n" + line + "  tasks: []\n"), line) { error in
                XCTAssertTrue("\(error)".hasPrefix(expected), "\(line): \(error)")
            }
        }
        // A parameter the module does not have is validate's error, at the default's line.
        let pb = try load("- hosts: all\n  module_defaults:\n    file: {colour: red}\n  tasks:\n    - file: {path: /a}\n")
        let problems = PlaybookValidator.validate(playbook: pb).map(\.description)
        XCTAssertTrue(problems.contains { $0.hasPrefix("p.yml:3: file: unknown parameter 'colour'") }, "\(problems)")
    }

    func testADefaultTakesEffectOnTheHost() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let (_, recap) = try local.run("""
            - hosts: machines
              module_defaults:
                copy: {mode: "0604"}
              tasks:
                - copy: {dest: "\(local.directory)/f", content: "x\\n"}
            """)
        XCTAssertEqual(recap.first?.1.failed, 0)
        let mode = try FileManager.default.attributesOfItem(atPath: local.directory + "/f")[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o604)
    }
}
