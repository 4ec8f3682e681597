import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// The one planner the run and the preflight share: the same task and variables give the
/// same items; the two differ only in what they do with what only a host knows.
final class TaskPlannerTests: XCTestCase {
    let run = TaskPlanner(unknowns: .fail)
    let preflight = TaskPlanner(unknowns: .leaveToRun(dynamic: ["ansible_os_family", "result"]))

    func task(_ yaml: String) throws -> (PlaybookTask, Play, ModuleSpec) {
        let playbook = try loadPlaybook("- hosts: all\n  tasks:\n" + yaml, specs: ModuleRegistry.specs)
        let play = try XCTUnwrap(playbook.plays.first)
        let task = try XCTUnwrap(play.tasks.first)
        return (task, play, try XCTUnwrap(ModuleRegistry.spec(named: task.module)))
    }

    func scope(_ values: [String: Value]) -> VariableScope {
        var scope = VariableScope()
        scope.add(values, at: .extra)
        return scope
    }

    /// What each item becomes: its path argument, or "-" for an item not planned (`when`
    /// false, or not decidable before the run); "skipped" when no item is.
    func paths(_ plan: TaskPlanner.Plan) -> [String] {
        guard case .items(let items) = plan else { return ["skipped"] }
        return items.map { $0.map { $0.arguments.values["path"]?.text ?? "?" } ?? "-" }
    }

    func testLoopItemsConditionsAndOmitAreTheSameForTheRunAndThePreflight() throws {
        let (t, play, spec) = try task("""
                - file: {path: "/srv/{{ item }}", state: directory, mode: "{{ mode | default(omit) }}"}
                  loop: "{{ dirs }}"
                  when: item != 'skip'
            """)
        let variables = scope(["dirs": ["a", "skip", "b"]])
        for planner in [run, preflight] {
            let plan = try planner.plan(t, of: play, spec: spec, hostScope: variables)
            XCTAssertEqual(paths(plan), ["/srv/a", "-", "/srv/b"])
            guard case .items(let items) = plan else { return XCTFail("\(plan)") }
            XCTAssertNil(items[0]?.arguments.values["mode"], "default(omit) leaves the parameter out")
            XCTAssertEqual(items[2]?.item, "b")
            XCTAssertEqual(try items[2]?.scope.value("item"), "b")
        }
    }

    func testEveryItemFalseIsSkippedAndAnEmptyFirstFoundSkips() throws {
        let (t, play, spec) = try task("""
                - file: {path: /srv/x, state: directory}
                  when: false
            """)
        guard case .skipped(let why) = try run.plan(t, of: play, spec: spec, hostScope: scope([:])) else { return XCTFail() }
        XCTAssertEqual(why, "conditional result was false")
    }

    func testAnArgumentReadingAFactIsLeftToTheRunAnUndefinedOneIsAnErrorNow() throws {
        let (t, play, spec) = try task("""
                - file: {path: "/srv/{{ ansible_os_family }}", state: directory}
            """)
        XCTAssertEqual(paths(try preflight.plan(t, of: play, spec: spec, hostScope: scope([:]))), ["skipped"], "left to the run")
        XCTAssertThrowsError(try run.plan(t, of: play, spec: spec, hostScope: scope([:])), "the run knows every fact")
        let (u, play2, spec2) = try task("""
                - file: {path: "/srv/{{ typo }}", state: directory}
            """)
        for planner in [run, preflight] {
            XCTAssertThrowsError(try planner.plan(u, of: play2, spec: spec2, hostScope: scope([:]))) { error in
                XCTAssertTrue("\(error)".contains("undefined variable 'typo'"), "\(error)")
            }
        }
    }

    func testAConditionOnAResultIsLeftToTheRun() throws {
        let (t, play, spec) = try task("""
                - file: {path: /srv/x, state: directory}
                  when: result.rc == 0
            """)
        XCTAssertEqual(paths(try preflight.plan(t, of: play, spec: spec, hostScope: scope([:]))), ["skipped"])
        XCTAssertThrowsError(try run.plan(t, of: play, spec: spec, hostScope: scope([:])))
        XCTAssertEqual(paths(try run.plan(t, of: play, spec: spec, hostScope: scope(["result": ["rc": 0]]))), ["/srv/x"])
    }

    func testALoopThatIsNotAListIsOneErrorForBoth() throws {
        let (t, play, spec) = try task("""
                - file: {path: "/srv/{{ item }}", state: directory}
                  loop: "{{ dirs }}"
            """)
        for planner in [run, preflight] {
            let text = errorText { try planner.plan(t, of: play, spec: spec, hostScope: self.scope(["dirs": "a"])) }
            XCTAssertEqual(text, "site.yml:4: loop must be a list, not a string (give a YAML list, or a variable that holds one)")
        }
    }

    func testTheModuleRefusesBadArgumentsInBothAndTheRedactorSeesThemFirst() throws {
        let (t, play, spec) = try task("""
                - file: {path: /srv/x, state: "{{ wanted }}"}
            """)
        var seen: [[String: Value]] = []
        let watching = TaskPlanner(unknowns: .fail, rendered: { seen.append($0) })
        XCTAssertThrowsError(try watching.plan(t, of: play, spec: spec, hostScope: scope(["wanted": "sideways"])))
        XCTAssertEqual(seen.first?["state"], "sideways", "rendered values reach the redactor before the module's error")
        XCTAssertThrowsError(try preflight.plan(t, of: play, spec: spec, hostScope: scope(["wanted": "sideways"])))
    }

    func testTheEnvironmentIsRenderedInNameOrder() throws {
        let (t, play, spec) = try task("""
                - file: {path: /srv/x, state: directory}
                  environment: {ZED: "{{ z }}", ALPHA: a}
            """)
        guard case .items(let items) = try run.plan(t, of: play, spec: spec, hostScope: scope(["z": "last"])) else { return XCTFail() }
        XCTAssertEqual(items.first??.environment.map { "\($0.name)=\($0.value)" }, ["ALPHA=a", "ZED=last"])
    }
}
