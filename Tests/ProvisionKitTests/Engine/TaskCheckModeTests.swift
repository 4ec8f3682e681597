import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// Task `check_mode:` and `diff:` override `--check` and `--diff` for that task, run for
/// real on this machine (LocalConnection).
final class TaskCheckModeTests: XCTestCase {
    var local: LocalPlaybook!
    var dir: String { local.directory }

    override func setUpWithError() throws { local = try LocalPlaybook() }
    override func tearDownWithError() throws { local.remove() }

    func play(_ tasks: String) -> String { "- hosts: machines\n  gather_facts: false\n  tasks:\n" + tasks }

    func testCheckModeOnATaskWinsOverTheRun() throws {
        let playbook = play("""
                - name: only predicted
                  copy: {content: "a\\n", dest: \(dir)/predicted}
                  check_mode: true
                - name: always done
                  copy: {content: "b\\n", dest: \(dir)/done}
                  check_mode: false
                - name: like the run
                  copy: {content: "c\\n", dest: \(dir)/run}
            """)
        let (checked, _) = try local.run(playbook, options: LocalPlaybook.check())
        XCTAssertEqual(checked.status(of: "only predicted"), .changed)
        XCTAssertEqual(checked.status(of: "always done"), .changed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/predicted"))
        XCTAssertEqual(try String(contentsOfFile: dir + "/done", encoding: .utf8), "b\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/run"))

        let (ran, _) = try local.run(playbook)
        XCTAssertEqual(ran.status(of: "only predicted"), .changed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/predicted"), "check_mode: true changes nothing, also in a real run")
        XCTAssertEqual(ran.status(of: "always done"), .ok)
        XCTAssertEqual(try String(contentsOfFile: dir + "/run", encoding: .utf8), "c\n")
    }

    func testDiffOnATaskWinsOverTheRun() throws {
        let playbook = play("""
                - name: quiet
                  copy: {content: "secretish\\n", dest: \(dir)/quiet}
                  diff: false
                - name: shown
                  copy: {content: "shown\\n", dest: \(dir)/shown}
                  diff: true
                - name: like the run
                  copy: {content: "plain\\n", dest: \(dir)/plain}
            """)
        let (plain, _) = try local.run(playbook)
        func diff(_ reporter: CollectingReporter, _ task: String) -> FileDiff? { reporter.tasks.first { $0.task == task }?.diff }
        XCTAssertNil(diff(plain, "quiet"))
        XCTAssertEqual(diff(plain, "shown")?.after, "shown\n")
        XCTAssertNil(diff(plain, "like the run"))
        for file in ["quiet", "shown", "plain"] { try FileManager.default.removeItem(atPath: dir + "/" + file) }
        var options = RunOptions()
        options.diffMode = true
        let (diffed, _) = try local.run(playbook, options: options)
        XCTAssertNil(diff(diffed, "quiet"))
        XCTAssertEqual(diff(diffed, "like the run")?.after, "plain\n")
    }
}
