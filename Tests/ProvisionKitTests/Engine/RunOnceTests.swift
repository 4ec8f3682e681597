import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// `run_once:` through the real engine on this machine (three inventory hosts, local
/// connections): one host runs the task, every host takes its result.
final class RunOnceTests: XCTestCase {
    let hosts = ["h1", "h2", "h3"]

    func testOneHostRunsItAndEveryHostGetsItsRegisteredResultAndNotification() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let d = local.directory
        let (reporter, recap) = try local.run("""
            - hosts: machines
              tasks:
                - name: once
                  shell: "echo {{ inventory_hostname }} >> \(d)/ran; echo {{ inventory_hostname }}"
                  run_once: true
                  register: r
                  notify: mark
                - name: every host sees it
                  debug: {msg: "{{ inventory_hostname }} got {{ r.stdout }}"}
              handlers:
                - name: mark
                  shell: "echo {{ inventory_hostname }} >> \(d)/handled"
            """, hosts: hosts)
        XCTAssertEqual(recap.map { $0.1.failed }, [0, 0, 0], "\(reporter.tasks.map { "\($0.host) \($0.task): \($0.message ?? "")" })")
        let ran = try String(contentsOfFile: d + "/ran", encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(ran.count, 1, "run_once ran on \(ran)")
        let owner = try XCTUnwrap(ran.first)
        XCTAssertEqual(reporter.tasks.filter { $0.task == "once" }.map(\.host), [owner], "only the host that ran it reports it")
        XCTAssertEqual(Set(reporter.tasks.filter { $0.task == "every host sees it" }.compactMap(\.message)),
                       Set(hosts.map { "\($0) got \(owner)" }))
        let handled = try String(contentsOfFile: d + "/handled", encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(Set(handled), Set(hosts), "a run_once change notifies the handler on every host, as in Ansible")
    }

    func testAFailureOnTheHostThatRanItFailsEveryHost() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let (reporter, recap) = try local.run("""
            - hosts: machines
              tasks:
                - name: once
                  command: "false"
                  run_once: true
                - name: after
                  debug: {msg: "reached"}
            """, hosts: hosts)
        XCTAssertEqual(recap.map { $0.1.failed }, [1, 1, 1])
        XCTAssertFalse(reporter.tasks.contains { $0.task == "after" }, "no host goes on")
        let failures = reporter.tasks.filter { $0.task == "once" && $0.status == .failed }
        XCTAssertEqual(failures.count, 3)
        XCTAssertEqual(failures.filter { $0.message?.hasPrefix("run_once: the task failed on ") == true }.count, 2)
    }

    func testRunOnceIsABooleanAndNotForHandlers() throws {
        let modules = ModuleVocabulary(ModuleRegistry.specs)
        XCTAssertThrowsError(try PlaybookLoader.load(text: "- hosts: all\n  tasks:\n    - command: x\n      run_once: maybe\n",
                                                     file: "p.yml", modules: modules)) { error in
            XCTAssertTrue("\(error)".hasPrefix("p.yml:4"), "\(error)")
        }
        XCTAssertThrowsError(try PlaybookLoader.load(text: "- hosts: all\n  handlers:\n    - name: h\n      command: x\n      run_once: true\n",
                                                     file: "p.yml", modules: modules)) { error in
            XCTAssertTrue("\(error)".hasPrefix("p.yml:5: run_once on a handler is not supported yet"), "\(error)")
        }
        let loaded = try PlaybookLoader.load(text: "- hosts: all\n  tasks:\n    - command: x\n      run_once: true\n", file: "p.yml", modules: modules)
        XCTAssertEqual(loaded.plays.first?.tasks.first?.runOnce, true)
    }

    func testTheOthersWaitForTheResultOfTheFirstToClaim() {
        let results = RunOnceResults()
        guard case .run = results.claim(7, host: "a") else { return XCTFail("the first to arrive runs it") }
        let got = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var seen: RunOnceResults.Result?
        Thread.detachNewThread {
            if case .ran(let r) = results.claim(7, host: "b") { seen = r }
            got.signal()
        }
        XCTAssertEqual(got.wait(timeout: .now() + 0.3), .timedOut, "b waits while a runs")
        results.publish(7, .init(owner: "a", registered: ["rc": 0], changed: true, failed: false))
        XCTAssertEqual(got.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(seen?.owner, "a")
        XCTAssertEqual(seen?.changed, true)
        guard case .run = results.claim(8, host: "b") else { return XCTFail("another task is another claim") }
        guard case .interrupted = RunOnceResults().claimAfterOther(interrupted: true) else { return XCTFail("an interrupted wait ends") }
    }
}

private extension RunOnceResults {
    /// Claimed by another host first, then asked with the run interrupted.
    func claimAfterOther(interrupted: Bool) -> Claim {
        _ = claim(1, host: "x")
        return claim(1, host: "y", interrupted: { interrupted })
    }
}
