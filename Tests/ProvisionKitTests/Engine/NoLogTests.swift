import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// `no_log: true` through the real engine on this machine: status and name are reported, the
/// message, the loop item and the diff are not, whether the task succeeds or fails.
final class NoLogTests: XCTestCase {
    func testMessagesItemsAndDiffsOfANoLogTaskAreNotShown() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        var options = RunOptions()
        options.diffMode = true
        let (reporter, recap) = try local.run("""
            - hosts: machines
              tasks:
                - name: quiet write
                  copy: {dest: \(local.directory)/f, content: "token-one\\n"}
                  no_log: true
                - name: quiet loop
                  debug: {msg: "{{ item }}"}
                  loop: [token-two]
                  no_log: true
                - name: quiet failure
                  shell: "echo token-three >&2; exit 1"
                  no_log: true
                  ignore_errors: true
                - name: loud
                  debug: {msg: token-four}
            """, options: options)
        XCTAssertEqual(recap.first?.1.changed, 1)
        let shown = reporter.tasks.map { "\($0.task) \($0.message ?? "") \($0.diff?.after ?? "")" }.joined(separator: "\n")
        for hidden in ["token-one", "token-two", "token-three"] { XCTAssertFalse(shown.contains(hidden), "\(hidden) shown:\n\(shown)") }
        XCTAssertTrue(shown.contains("token-four"), shown)
        XCTAssertEqual(reporter.status(of: "quiet write"), .changed)
        XCTAssertEqual(reporter.tasks.first { $0.task.hasPrefix("quiet failure") }?.status, .failed)
        XCTAssertEqual(reporter.tasks.first { $0.task == "quiet write" }?.message, HostPlayRunner.hiddenByNoLog)
    }
}
