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

/// What facts warn about is said once per host and run, however many plays there are.
final class FactsWarningTests: XCTestCase {
    func testAmazonLinux2EndOfSupportIsWarnedOncePerRun() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        try FileManager.default.createDirectory(atPath: local.directory + "/etc", withIntermediateDirectories: true)
        try (FactsTests.osReleases.first { $0.0 == "amazon-linux-2" }!.1)
            .write(toFile: local.directory + "/etc/os-release", atomically: true, encoding: .utf8)
        let path = local.directory + "/two-plays.yml"
        try """
            - hosts: machines
              gather_facts: false
              tasks:
                - debug: {msg: one}
            - hosts: machines
              tasks:
                - debug: {msg: two}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let playbook = try PlaybookLoader.load(path: path)
        var inventory = Inventory()
        inventory.add(InventoryHost(name: "al2", variables: [:]), toGroup: "machines")
        let resolver = HostResolver(inventory: inventory, sshConfig: SSHConfig(), sshConfigFile: nil)
        let root = local.directory
        let pool = ConnectionPool(resolver: resolver) { _ in RootedConnection(root: root) }
        let reporter = CollectingReporter()
        let runner = PlaybookRunner(playbook: playbook, inventory: inventory, options: RunOptions(), pool: pool,
                                    reporter: reporter, redactor: Redactor())
        _ = try runner.run(targets: [])
        let warnings = reporter.events.compactMap { event -> String? in
            if case .warning(_, let message) = event { return message } else { return nil }
        }.filter { $0.contains("Amazon Linux 2 reached end of support") }
        XCTAssertEqual(warnings.count, 1, "\(warnings)")
    }
}
