import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// `set_fact`, `assert` and `fail`, run by the real engine on this machine (LocalConnection):
/// what later tasks see, which host fails and with what message, and check mode.
final class SetFactAssertFailTests: XCTestCase {
    var local: LocalPlaybook!

    override func setUpWithError() throws { local = try LocalPlaybook() }
    override func tearDownWithError() throws { local.remove() }

    func play(_ tasks: String, vars: String = "") -> String {
        "- hosts: machines\n  gather_facts: false\n" + vars + "  tasks:\n" + tasks
    }

    func message(_ reporter: CollectingReporter, _ task: String) -> String? {
        reporter.tasks.first { $0.task == task }?.message
    }

    func testSetFactIsSeenByLaterTasksAndOutranksPlayVars() throws {
        let (reporter, recap) = try local.run(play("""
                - name: define
                  set_fact:
                    site: "https://{{ domain }}"
                    port: 8080
                - name: use
                  debug: msg="{{ site }}:{{ port + 1 }}"
            """, vars: "  vars:\n    domain: example.org\n    site: play-level\n"))
        XCTAssertEqual(reporter.status(of: "define"), .ok, "set_fact changes nothing")
        XCTAssertEqual(message(reporter, "use"), "https://example.org:8081")
        XCTAssertEqual(recap.first?.1.changed, 0)
    }

    func testSetFactIsPerHost() throws {
        let (reporter, _) = try local.run(play("""
                - name: define
                  set_fact: {me: "{{ inventory_hostname }}"}
                - name: use
                  debug: msg="{{ me }}"
            """), hosts: ["a", "b"])
        let seen = reporter.tasks.filter { $0.task == "use" }.map { "\($0.host)=\($0.message ?? "")" }.sorted()
        XCTAssertEqual(seen, ["a=a", "b=b"])
    }

    func testSetFactWithoutVariablesIsRefusedByValidateWithItsLine() throws {
        let path = local.directory + "/empty-set-fact.yml"
        try play("""
                - name: nothing
                  set_fact: {cacheable: true}
            """).write(toFile: path, atomically: true, encoding: .utf8)
        let problems = PlaybookValidator.validate(path: path, specs: ModuleRegistry.specs, knownVariables: []).map(\.description)
        XCTAssertEqual(problems.count, 1, "\(problems)")
        XCTAssertTrue(problems.first?.contains("empty-set-fact.yml:") == true && problems.first?.contains("give at least one variable") == true,
                      "\(problems)")
    }

    func testAssertPassesWhenEveryConditionHolds() throws {
        let (reporter, recap) = try local.run(play("""
                - name: check
                  assert:
                    that:
                      - answer == 42
                      - "'wp' in prefix"
                    success_msg: fine
                - name: after
                  debug: msg=after
            """, vars: "  vars:\n    answer: 42\n    prefix: wp_\n"))
        XCTAssertEqual(reporter.status(of: "check"), .ok)
        XCTAssertEqual(message(reporter, "check"), "fine")
        XCTAssertEqual(reporter.status(of: "after"), .ok)
        XCTAssertEqual(recap.first?.1.failed, 0)
    }

    func testAssertFailsTheHostWithFailMsgAndStopsIt() throws {
        let (reporter, recap) = try local.run(play("""
                - name: check
                  assert:
                    that: [answer == 42, answer > 100]
                    fail_msg: "answer {{ answer }} is too small"
                - name: after
                  debug: msg=after
            """, vars: "  vars:\n    answer: 42\n"))
        XCTAssertEqual(reporter.status(of: "check"), .failed)
        XCTAssertEqual(message(reporter, "check")?.contains("answer 42 is too small"), true, "\(message(reporter, "check") ?? "")")
        XCTAssertNil(reporter.status(of: "after"), "a failed host runs no more tasks")
        XCTAssertEqual(recap.first?.1.failed, 1)
    }

    func testAssertAcceptsASingleConditionAsAString() throws {
        let (reporter, _) = try local.run(play("""
                - name: check
                  assert: {that: "answer != 42"}
            """, vars: "  vars:\n    answer: 42\n"))
        XCTAssertEqual(reporter.status(of: "check"), .failed)
    }

    func testFailFailsOnlyTheHostsItsWhenSelects() throws {
        let (reporter, recap) = try local.run(play("""
                - name: stop b
                  fail: msg="{{ inventory_hostname }} is not ready"
                  when: inventory_hostname == 'b'
                - name: after
                  debug: msg=after
            """), hosts: ["a", "b"])
        let failed = reporter.tasks.filter { $0.task == "stop b" && $0.status == .failed }
        XCTAssertEqual(failed.map(\.host), ["b"])
        XCTAssertEqual(failed.first?.message?.contains("b is not ready"), true, "\(failed.first?.message ?? "")")
        XCTAssertEqual(reporter.tasks.filter { $0.task == "after" }.map(\.host), ["a"])
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: recap.map { ($0.0, $0.1.failed) }), ["a": 0, "b": 1])
    }

    func testCheckModeStillSetsFactsAndEvaluatesAssertions() throws {
        let (reporter, _) = try local.run(play("""
                - name: define
                  set_fact: {n: 3}
                - name: check
                  assert: {that: ["n == 3"]}
            """), options: LocalPlaybook.check())
        XCTAssertEqual(reporter.status(of: "define"), .ok)
        XCTAssertEqual(reporter.status(of: "check"), .ok)
    }
}
