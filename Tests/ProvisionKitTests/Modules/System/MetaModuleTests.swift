import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// `meta: flush_handlers` through the real engine on this machine: notified handlers run at
/// the flush, later tasks see what they did, and a handler notified again runs again at the end.
final class MetaModuleTests: XCTestCase {
    func testFlushHandlersRunsNotifiedHandlersNowAndAgainWhenNotifiedAgain() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let d = local.directory
        let yaml = """
            - hosts: machines
              tasks:
                - name: first change
                  copy: {dest: \(d)/a, content: "a\\n"}
                  notify: count
                - meta: flush_handlers
                - name: sees the handler's work
                  command: grep -c ran \(d)/log
                - name: second change
                  copy: {dest: \(d)/b, content: "b\\n"}
                  notify: count
              handlers:
                - name: count
                  shell: echo ran >> \(d)/log
            """
        let (reporter, recap) = try local.run(yaml)
        XCTAssertEqual(recap.first?.1.failed, 0, "\(reporter.tasks.map { "\($0.task): \($0.status) \($0.message ?? "")" })")
        XCTAssertEqual(try String(contentsOfFile: d + "/log", encoding: .utf8), "ran\nran\n", "once at the flush, once at the end")
        XCTAssertEqual(reporter.tasks.map(\.task), ["first change", "meta", "count", "sees the handler's work", "second change", "count"])

        // Nothing notified: the flush runs nothing, the end runs nothing.
        let (again, _) = try local.run(yaml)
        XCTAssertEqual(again.tasks.filter { $0.task == "count" }.count, 0)
        XCTAssertEqual(try String(contentsOfFile: d + "/log", encoding: .utf8), "ran\nran\n")
    }

    func testOtherMetaActionsAreRefusedAtLoadWithTheSupportedOnes() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let path = local.directory + "/p.yml"
        try "- hosts: all\n  tasks:\n    - meta: end_play\n".write(toFile: path, atomically: true, encoding: .utf8)
        let problems = RunPreflight.validate(playbook: try PlaybookLoader.load(path: path))
        XCTAssertEqual(problems.count, 1, "\(problems)")
        XCTAssertTrue(problems.first?.description.contains("p.yml:3") == true, "\(problems)")
        XCTAssertTrue(problems.first?.description.contains("flush_handlers") == true, "\(problems)")
    }
}
