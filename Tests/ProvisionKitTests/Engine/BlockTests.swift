import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// `block:` / `rescue:` / `always:`: flattened by the loader with their keywords on each
/// task, routed by the engine as Ansible does, run for real on this machine (LocalConnection).
final class BlockTests: XCTestCase {
    var local: LocalPlaybook!

    override func setUpWithError() throws { local = try LocalPlaybook() }
    override func tearDownWithError() throws { local.remove() }

    func play(_ tasks: String) -> String { "- hosts: machines\n  gather_facts: false\n  tasks:\n" + tasks }

    func ran(_ reporter: CollectingReporter) -> [String] { reporter.tasks.map(\.task) }

    func testAFailureInTheBodyRunsRescueThenAlwaysAndTheHostGoesOn() throws {
        let (reporter, recap) = try local.run(play("""
                - name: the work
                  block:
                    - name: first step
                      command: "true"
                    - name: breaks
                      command: "false"
                    - name: never after the failure
                      command: "true"
                  rescue:
                    - name: repair
                      debug: msg="rescued {{ ansible_failed_task.name }} rc={{ ansible_failed_result.rc }}"
                  always:
                    - name: clean up
                      debug: msg=always
                - name: after the block
                  debug: msg=on
            """))
        XCTAssertEqual(ran(reporter), ["first step", "breaks", "repair", "clean up", "after the block"])
        XCTAssertEqual(reporter.tasks.first { $0.task == "repair" }?.message, "rescued breaks rc=1")
        XCTAssertEqual(recap.first?.1.failed, 0, "a rescued failure does not fail the host")
        XCTAssertEqual(recap.first?.1.rescued, 1)
    }

    func testWithoutAFailureRescueIsSkippedAndAlwaysRuns() throws {
        let (reporter, recap) = try local.run(play("""
                - block:
                    - name: fine
                      command: "true"
                  rescue:
                    - name: repair
                      debug: msg=no
                  always:
                    - name: clean up
                      debug: msg=always
            """))
        XCTAssertEqual(ran(reporter), ["fine", "clean up"])
        XCTAssertEqual(recap.first?.1.rescued, 0)
    }

    func testAFailureWithoutRescueRunsAlwaysThenStopsTheHost() throws {
        let (reporter, recap) = try local.run(play("""
                - block:
                    - name: breaks
                      command: "false"
                  always:
                    - name: clean up
                      debug: msg=always
                - name: not after an unrescued failure
                  debug: msg=no
            """))
        XCTAssertEqual(ran(reporter), ["breaks", "clean up"])
        XCTAssertEqual(recap.first?.1.failed, 1)
    }

    func testAFailingRescueFailsTheHostAfterAlways() throws {
        let (reporter, recap) = try local.run(play("""
                - block:
                    - name: breaks
                      command: "false"
                  rescue:
                    - name: repair fails too
                      command: "false"
                    - name: not after the rescue failed
                      debug: msg=no
                  always:
                    - name: clean up
                      debug: msg=always
                - name: not after
                  debug: msg=no
            """))
        XCTAssertEqual(ran(reporter), ["breaks", "repair fails too", "clean up"])
        XCTAssertEqual(recap.first?.1.failed, 1)
        XCTAssertEqual(recap.first?.1.rescued, 1)
    }

    func testAnInnerBlockWithoutRescuePassesItsFailureToTheOuterRescue() throws {
        let (reporter, recap) = try local.run(play("""
                - block:
                    - block:
                        - name: inner breaks
                          command: "false"
                        - name: inner rest
                          debug: msg=no
                      always:
                        - name: inner always
                          debug: msg=always
                    - name: outer rest
                      debug: msg=no
                  rescue:
                    - name: outer rescue
                      debug: msg=yes
                - name: goes on
                  debug: msg=on
            """))
        XCTAssertEqual(ran(reporter), ["inner breaks", "inner always", "outer rescue", "goes on"])
        XCTAssertEqual(recap.first?.1.failed, 0)
    }

    func testABlocksKeywordsApplyToEachTaskAndTaskVarsWin() throws {
        let (reporter, _) = try local.run(play("""
                - name: only when told
                  when: run_it | default(false)
                  block:
                    - name: skipped with the block
                      debug: msg=no
                - vars: {who: block, shared: block}
                  tags: [deploy]
                  block:
                    - name: sees the block's vars
                      debug: msg="{{ who }} {{ shared }}"
                      vars: {shared: task}
            """))
        XCTAssertEqual(reporter.status(of: "skipped with the block"), .skipped)
        XCTAssertEqual(reporter.tasks.first { $0.task == "sees the block's vars" }?.message, "block task")
        let book = try loadPlaybook(play("""
                - tags: [deploy]
                  become: true
                  block:
                    - name: t
                      command: x
                      tags: [own]
            """))
        let task = try XCTUnwrap(book.plays.first?.tasks.first)
        XCTAssertEqual(task.tags, ["deploy", "own"])
        XCTAssertEqual(task.become, true)
        XCTAssertEqual(task.blocks, [BlockMembership(id: 1, section: .block)])
    }

    func testBlockMistakesNameTheLine() {
        XCTAssertEqual(errorText { try loadPlaybook(play("    - block: []\n      rescue:\n        - command: x\n")) },
                       "site.yml:5: rescue without tasks in block (put the tasks that may fail under block:)")
        XCTAssertEqual(errorText { try loadPlaybook(play("    - block:\n        - command: x\n      loop: [1]\n")) },
                       "site.yml:6: 'loop' on block is not supported yet (block takes name, when, tags, vars, become, become_user, environment and module_defaults)")
    }

    /// The routing alone: which task of a flattened list runs after which failures.
    func testRoutingTable() {
        func task(_ blocks: [(Int, BlockMembership.Section)]) -> PlaybookTask {
            var t = PlaybookTask(module: "debug", location: SourceLocation(file: "t", line: 1))
            t.blocks = blocks.map { BlockMembership(id: $0.0, section: $0.1) }
            return t
        }
        let cases: [(PlaybookTask, [Int: FailedBlock], Bool)] = [
            (task([]), [1: .unrescued], true),
            (task([(1, .block)]), [:], true),
            (task([(1, .block)]), [1: .rescuing], false),
            (task([(1, .rescue)]), [:], false),
            (task([(1, .rescue)]), [1: .rescuing], true),
            (task([(1, .rescue)]), [1: .unrescued], false),
            (task([(1, .always)]), [1: .unrescued], true),
            (task([(1, .block), (2, .always)]), [2: .unrescued], true),
            (task([(1, .block), (2, .block)]), [1: .rescuing], false),
        ]
        for (i, (t, failed, expected)) in cases.enumerated() {
            XCTAssertEqual(BlockRouting.runs(t, failedBlocks: failed), expected, "case \(i)")
        }
        let list = [task([(1, .block), (2, .block)]), task([(1, .block), (2, .always)]), task([(1, .rescue)]), task([])]
        XCTAssertEqual(BlockRouting.blocksEnding(after: 0, in: list).map(\.block.id), [])
        XCTAssertEqual(BlockRouting.blocksEnding(after: 1, in: list).map(\.block.id), [2])
        XCTAssertEqual(BlockRouting.blocksEnding(after: 2, in: list).map(\.block.id), [1])
        XCTAssertEqual(BlockRouting.blocksWithRescue(list), [1])
    }
}
