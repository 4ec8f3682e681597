import Foundation
import XCTest
@testable import Playbook

/// The one search rule for controller files (Ansible's order), for each kind.
final class ControllerFilesTests: XCTestCase {
    func testTheOrderForEachKind() {
        let cases: [(ControllerFiles.Kind, String?, String?, [String])] = [
            (.file, nil, nil, ["/p/files/a", "/p/a"]),
            (.file, "/p/roles/r", nil, ["/p/roles/r/files/a", "/p/roles/r/a", "/p/files/a", "/p/a"]),
            (.template, nil, nil, ["/p/templates/a", "/p/a", "/templates/a"]),
            (.template, "/p/roles/r", nil, ["/p/roles/r/templates/a", "/p/roles/r/a", "/p/templates/a", "/p/a", "/templates/a"]),
            (.vars, nil, "/p/site.yml", ["/p/vars/a", "/p/a"]),
            (.vars, "/p/roles/r", "/p/roles/r/tasks/main.yml", ["/p/roles/r/vars/a", "/p/roles/r/a", "/p/vars/a", "/p/a",
                                                               "/p/roles/r/tasks/vars/a", "/p/roles/r/tasks/a"]),
            (.vars, nil, "/p/tasks/web.yml", ["/p/vars/a", "/p/a", "/p/tasks/vars/a", "/p/tasks/a"]),
            (.vars, nil, "/elsewhere/inc/x.yml", ["/p/vars/a", "/p/a", "/elsewhere/inc/vars/a", "/elsewhere/inc/a"]),
        ]
        for (kind, role, taskFile, expected) in cases {
            XCTAssertEqual(ControllerFiles.candidates("a", kind: kind, baseDirectory: "/p", roleDirectory: role, taskFile: taskFile), expected,
                           "\(kind) role \(role ?? "-") task file \(taskFile ?? "-")")
        }
    }

    func testAbsoluteAndHomeNamesAreTakenAsTheyAre() {
        XCTAssertEqual(ControllerFiles.candidates("/etc/x", kind: .file, baseDirectory: "/p"), ["/etc/x"])
        XCTAssertEqual(ControllerFiles.candidates("~/x", kind: .template, baseDirectory: "/p"), [NSString(string: "~/x").expandingTildeInPath])
    }

    func testRelativeBaseDirectoriesAndDotsAreStandardized() {
        XCTAssertEqual(ControllerFiles.candidates("../a", kind: .file, baseDirectory: "/p/q"), ["/p/q/a", "/p/a"])
    }

    func testFirstFoundSearchesItsPathsThenEveryKindOfTheRoleAndThePlaybook() {
        let lookup = FirstFound(paths: ["os", "/abs"])
        XCTAssertEqual(lookup.searchDirectories(roleDirectory: "/p/roles/r", baseDirectory: "/p"), [
            "/p/os", "/abs",
            "/p/roles/r/vars", "/p/roles/r/files", "/p/roles/r/templates", "/p/roles/r/tasks", "/p/roles/r",
            "/p/vars", "/p/files", "/p/templates", "/p/tasks", "/p",
        ])
    }
}
