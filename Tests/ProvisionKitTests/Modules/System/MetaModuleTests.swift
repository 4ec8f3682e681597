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

    /// `--force-handlers`: a failed host still runs what it notified before the failure.
    func testForceHandlersRunsTheNotifiedHandlersOfAFailedHost() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let d = local.directory
        let yaml = """
            - hosts: machines
              tasks:
                - name: config
                  copy: {dest: \(d)/conf, content: "x\\n"}
                  notify: reload
                - name: breaks
                  command: "false"
              handlers:
                - name: reload
                  command: touch \(d)/reloaded
            """
        var (_, recap) = try local.run(yaml)
        XCTAssertEqual(recap.first?.1.failed, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: d + "/reloaded"), "without the flag a failed host runs no handler")
        try FileManager.default.removeItem(atPath: d + "/conf")
        var options = RunOptions()
        options.forceHandlers = true
        (_, recap) = try local.run(yaml, options: options)
        XCTAssertEqual(recap.first?.1.failed, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: d + "/reloaded"), "--force-handlers runs it")
    }
}
