import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// `until` / `retries` / `delay` through the real engine on this machine: the task runs
/// again until the condition holds on its result, at most `retries` more times.
final class UntilRetriesTests: XCTestCase {
    func play(_ d: String, until: String, retries: Int) -> String {
        """
        - hosts: machines
          tasks:
            - name: counts its runs
              shell: "n=$(cat \(d)/count 2>/dev/null || echo 0); n=$((n + 1)); echo $n > \(d)/count; echo $n"
              register: r
              until: \(until)
              retries: \(retries)
              delay: 0
            - name: sees the attempts
              debug: {msg: "{{ r.attempts }} {{ r.stdout }}"}
        """
    }

    func testTheTaskRunsAgainUntilTheConditionHolds() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let (reporter, recap) = try local.run(play(local.directory, until: "r.stdout == '3'", retries: 5))
        XCTAssertEqual(recap.first?.1.failed, 0, "\(reporter.tasks.map { "\($0.task): \($0.message ?? "")" })")
        XCTAssertEqual(reporter.tasks.first { $0.task == "sees the attempts" }?.message, "3 3")
        XCTAssertEqual(try String(contentsOfFile: local.directory + "/count", encoding: .utf8), "3\n")
    }

    func testRetriesRunOutWithAClearFailure() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let (reporter, recap) = try local.run(play(local.directory, until: "r.stdout == '9'", retries: 1))
        XCTAssertEqual(recap.first?.1.failed, 1)
        XCTAssertEqual(reporter.tasks.first?.message, "until is still false after 2 attempts: r.stdout == '9'")
        XCTAssertEqual(try String(contentsOfFile: local.directory + "/count", encoding: .utf8), "2\n", "retries: 1 is two runs")
    }

    func testCheckModeTriesOnceAndRetriesNeedUntil() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let (_, recap) = try local.run("""
            - hosts: machines
              tasks:
                - stat: {path: /nonexistent}
                  register: s
                  until: s.stat.exists
                  retries: 100
                  delay: 60
            """, options: LocalPlaybook.check())
        XCTAssertEqual(recap.first?.1.failed, 0, "check mode does not wait for a state the run would make")
        XCTAssertThrowsError(try PlaybookLoader.load(text: "- hosts: all\n  tasks:\n    - command: x\n      retries: 3\n",
                                                     file: "p.yml", modules: ModuleVocabulary(ModuleRegistry.specs))) { error in
            XCTAssertEqual("\(error)", "p.yml:4: 'retries' needs 'until' (the condition to retry for)")
        }
    }
}
