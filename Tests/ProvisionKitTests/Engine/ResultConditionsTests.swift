import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// `changed_when` and `failed_when` with registered results, run for real on this machine
/// (LocalConnection: a real shell).
final class ResultConditionsTests: XCTestCase {
    var local: LocalPlaybook!

    override func setUpWithError() throws { local = try LocalPlaybook() }
    override func tearDownWithError() throws { local.remove() }

    func play(_ tasks: String) -> String {
        "- hosts: machines\n  gather_facts: false\n  tasks:\n" + tasks + """

          handlers:
            - name: noted
              debug: msg=noted
        """
    }

    func testChangedWhenDecidesTheChangeTheRecapAndTheHandlers() throws {
        let (reporter, recap) = try local.run(play("""
                - name: read only
                  command: echo nothing to do
                  register: r
                  changed_when: false
                  notify: noted
                - name: said so
                  shell: echo created it
                  register: made
                  changed_when: "'created' in made.stdout"
                - name: said not
                  shell: echo already there
                  register: again
                  changed_when:
                    - again.rc == 0
                    - "'created' in again.stdout"
                - name: what was registered
                  debug: msg="{{ r.changed }} {{ made.changed }} {{ again.changed }}"
            """))
        XCTAssertEqual(reporter.status(of: "read only"), .ok)
        XCTAssertEqual(reporter.status(of: "said so"), .changed)
        XCTAssertEqual(reporter.status(of: "said not"), .ok)
        XCTAssertEqual(reporter.tasks.first { $0.task == "what was registered" }?.message, "False True False")
        XCTAssertNil(reporter.status(of: "noted"), "a task changed_when made unchanged notifies nothing")
        XCTAssertEqual(recap.first?.1.changed, 1)
    }

    func testFailedWhenTurnsAnExitCodeIntoSuccessOrFailure() throws {
        let (reporter, recap) = try local.run(play("""
                - name: grep finds nothing
                  shell: "printf 'a\\\\nb\\\\n' | grep -c zzz"
                  register: found
                  failed_when: found.rc not in [0, 1]
                  changed_when: false
                - name: count
                  debug: msg="{{ found.stdout }} {{ found.rc }} {{ found.failed }}"
                - name: says error
                  shell: echo ERROR in the output
                  register: out
                  failed_when: "'ERROR' in out.stdout"
                - name: never reached
                  debug: msg=no
            """))
        XCTAssertEqual(reporter.status(of: "grep finds nothing"), .ok)
        XCTAssertEqual(reporter.tasks.first { $0.task == "count" }?.message, "0 1 False")
        XCTAssertEqual(reporter.status(of: "says error"), .failed)
        XCTAssertEqual(reporter.tasks.first { $0.task == "says error" }?.message, "failed_when is true: 'ERROR' in out.stdout")
        XCTAssertNil(reporter.status(of: "never reached"))
        XCTAssertEqual(recap.first?.1.failed, 1)
    }

    func testACommandThatFailedWhenSaysNoStillCountsAsRun() throws {
        let (reporter, recap) = try local.run(play("""
                - name: exits 3
                  command: sh -c 'exit 3'
                  register: r
                  failed_when: false
                  notify: noted
                - name: seen
                  debug: msg="{{ r.rc }} {{ r.changed }} {{ r.failed }}"
            """))
        XCTAssertEqual(reporter.status(of: "exits 3"), .changed)
        XCTAssertEqual(reporter.tasks.first { $0.task == "seen" }?.message, "3 True False")
        XCTAssertEqual(reporter.status(of: "noted"), .ok)
        XCTAssertEqual(recap.first?.1.failed, 0)
    }

    func testCheckModeUsesChangedWhenWhenItNeedsNoOutput() throws {
        let (reporter, _) = try local.run(play("""
                - name: literal
                  command: echo hi
                  changed_when: false
                - name: needs output
                  command: echo hi
                  register: r
                  changed_when: "'hi' in r.stdout"
            """), options: LocalPlaybook.check())
        XCTAssertEqual(reporter.status(of: "literal"), .ok)
        let needs = reporter.tasks.first { $0.task == "needs output" }
        XCTAssertEqual(needs?.status, .changed)
        XCTAssertEqual(needs?.assumed, true)
    }

    func testValidateKnowsTheTasksOwnResultAndNothingElse() throws {
        let dir = try makeTempDir(["p.yml": """
            - hosts: all
              tasks:
                - command: echo
                  register: r
                  changed_when: r.stdout != ''
                  failed_when: r.rc > rc_ceiling
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let problems = PlaybookValidator.validate(path: dir + "/p.yml").map { $0.description.replacingOccurrences(of: dir + "/", with: "") }
        XCTAssertEqual(problems, ["p.yml:6: undefined variable 'rc_ceiling'"])
    }
}
