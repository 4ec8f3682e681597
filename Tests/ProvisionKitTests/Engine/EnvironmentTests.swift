import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

/// `environment:` through the real engine on this machine: the play's under the task's,
/// templated, in the module's probe and apply alike, and never in a process's arguments.
final class EnvironmentTests: XCTestCase {
    func testThePlaysAndTheTasksEnvironmentReachTheCommands() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let d = local.directory
        let (reporter, recap) = try local.run("""
            - hosts: machines
              environment: {GREETING: play, WHO: "{{ inventory_hostname }}"}
              tasks:
                - name: task over play
                  shell: "echo $GREETING $WHO > \(d)/out"
                  environment: {GREETING: task}
                - name: creates reads it in the probe too
                  shell: "touch $TARGET"
                  args: {creates: "\(d)/made"}
                  environment: {TARGET: "\(d)/made"}
                - name: no environment here
                  shell: "echo ${TARGET:-unset} > \(d)/plain"
            """)
        XCTAssertEqual(recap.first?.1.failed, 0, "\(reporter.tasks.map { "\($0.task): \($0.message ?? "")" })")
        XCTAssertEqual(try String(contentsOfFile: d + "/out", encoding: .utf8), "task local\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: d + "/made"))
        XCTAssertEqual(try String(contentsOfFile: d + "/plain", encoding: .utf8), "unset\n")
    }

    func testABlocksEnvironmentIsUnderItsTasksAndOverThePlays() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let d = local.directory
        let (reporter, recap) = try local.run("""
            - hosts: machines
              environment: {A: play, B: play, C: play}
              tasks:
                - block:
                    - shell: "echo $A $B $C > \(d)/out"
                      environment: {A: task}
                  environment: {A: block, B: block}
                - shell: "echo $B > \(d)/after"
            """)
        XCTAssertEqual(recap.first?.1.failed, 0, "\(reporter.tasks.map { "\($0.task): \($0.message ?? "")" })")
        XCTAssertEqual(try String(contentsOfFile: d + "/out", encoding: .utf8), "task block play\n")
        XCTAssertEqual(try String(contentsOfFile: d + "/after", encoding: .utf8), "play\n", "only the block's tasks get it")
    }

    func testANameAShellCannotTakeIsALoadError() {
        XCTAssertThrowsError(try PlaybookLoader.load(text: "- hosts: all\n  tasks:\n    - command: x\n      environment: {1BAD: x}\n",
                                                     file: "p.yml", modules: ModuleVocabulary(ModuleRegistry.specs))) { error in
            XCTAssertEqual("\(error)", "p.yml:4: environment: '1BAD' is not a variable name (letters, digits and _, not starting with a digit)")
        }
    }

    func testValuesAreExportedQuotedInTheScript() throws {
        let recorder = ReplayConnection()
        let connection = EnvironmentConnection(recorder, environment: [("A", "x y"), ("B", "it's $(rm)")])
        _ = try connection.run("true", stdin: Data(), become: true, timeout: nil, onOutput: nil)
        XCTAssertEqual(recorder.commands, ["export A='x y'\nexport B='it'\\''s $(rm)'\ntrue"])
    }
}
