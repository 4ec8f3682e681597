import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// The shipped web play's OS table (`playbooks/vars/os/`) as a host with `facts` gets it:
/// the play's first task planned by the run's own planner and its `include_vars` read.
enum WebPlaybookOSTable {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static func variables(for facts: Facts) throws -> [String: Value] {
        let playbook = try PlaybookLoader.load(path: repository + "/playbooks/web.yml", modules: ModuleVocabulary(ModuleRegistry.specs))
        let play = try XCTUnwrap(playbook.plays.first)
        let task = try XCTUnwrap(play.tasks.first)
        XCTAssertEqual(task.module, "include_vars", "the web play starts with its OS table")
        var scope = VariableScope()
        scope.add(facts.variables, at: .facts)
        let plan = try TaskPlanner(unknowns: .fail).plan(task, of: play, spec: IncludeVarsModule.spec, hostScope: scope)
        guard case .items(let items) = plan, let item = items.first ?? nil else {
            XCTFail("no OS table planned: \(plan)")
            return [:]
        }
        return item.module.hostVariables
    }
}
