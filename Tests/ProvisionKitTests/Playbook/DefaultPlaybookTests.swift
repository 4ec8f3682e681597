import Foundation
import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

/// Where a run without -p finds the built-in job.
final class DefaultPlaybookTests: XCTestCase {
    func testOrderCurrentDirectoryThenInstalledThenBuildTree() {
        let paths = DefaultPlaybook.candidates(currentDirectory: "/home/u/site",
                                               executable: "/src/provision/.build/x86_64-unknown-linux-gnu/release/provision")
        XCTAssertEqual(paths, [
            "/home/u/site/playbooks/site.yml",
            "/src/provision/.build/x86_64-unknown-linux-gnu/share/provision/playbooks/site.yml",
            "/src/provision/playbooks/site.yml",
        ])
        XCTAssertEqual(DefaultPlaybook.candidates(currentDirectory: "/tmp", executable: "/usr/local/bin/provision"),
                       ["/tmp/playbooks/site.yml", "/usr/local/share/provision/playbooks/site.yml"])
    }

    func testFoundFromAnotherDirectoryAndAMissingOneSaysWhereItLooked() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        let found = try DefaultPlaybook.locate(currentDirectory: "/", executable: repository + "/.build/debug/provision")
        XCTAssertEqual(found, repository + "/playbooks/site.yml")
        XCTAssertThrowsError(try DefaultPlaybook.locate(currentDirectory: "/nonexistent", executable: "/nonexistent/bin/provision")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/share/provision/playbooks/site.yml"), "\(error)")
            XCTAssertTrue("\(error)".contains("-p"), "\(error)")
        }
    }
}
