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

/// The rule of `CommandLineTargets`: which names become hosts, which group they join, and
/// which hosts each play then runs on.
final class CommandLineTargetsTests: XCTestCase {
    let sshConfig = try! SSHConfig.parse("""
        Host web-1a web-1c
          User ec2-user
        Host 10.0.*
          User admin
        """)

    func testNamesSSHCouldReachBecomeHostsOfGroupWebInTheOrderTyped() throws {
        let cases: [(targets: [String], hosts: [String])] = [
            (["web-1a", "web-1c"], ["web-1a", "web-1c"]),
            (["web-1c", "web-1a"], ["web-1c", "web-1a"]),
            (["10.0.11.10"], ["10.0.11.10"]),
            (["web.example.com"], ["web.example.com"]),
            (["web-1a,web-1c"], ["web-1a", "web-1c"]),
            (["web-1a:!web-1c"], ["web-1a", "web-1c"]),   // both named: both known, the pattern excludes later
            (["typo"], []),                              // nothing says how to reach it
            (["web-*"], []),                             // a wildcard names no host
            (["-oProxyCommand=x.y"], []),
        ]
        for c in cases {
            let inventory = CommandLineTargets.addingHosts(for: c.targets, to: Inventory(), sshConfig: sshConfig)
            XCTAssertEqual(inventory.hosts.map(\.name), c.hosts, "\(c.targets)")
            XCTAssertEqual(inventory.hosts(inGroup: CommandLineTargets.defaultGroup), c.hosts, "\(c.targets)")
        }
    }

    func testTheInventoryKeepsItsHostsAndGroups() throws {
        var inventory = Inventory()
        inventory.add(InventoryHost(name: "web-1a", address: "10.0.10.10"), toGroup: "frontend")
        let combined = CommandLineTargets.addingHosts(for: ["web-1a", "web-1c"], to: inventory, sshConfig: sshConfig)
        XCTAssertEqual(combined.groups(of: "web-1a").filter { $0 != "all" }, ["frontend"], "an inventory host is not regrouped")
        XCTAssertEqual(combined.hosts(inGroup: "web"), ["web-1c"])
        XCTAssertEqual(CommandLineTargets.origin(of: "web-1a", in: inventory), "inventory")
        XCTAssertEqual(CommandLineTargets.origin(of: "web-1c", in: inventory), "command line")
    }

    func testPlaysRunOnTheirPatternLimitedToTheTargets() throws {
        var inventory = Inventory()
        for (name, group) in [("web-1", "web"), ("web-2", "web"), ("db", "db")] { inventory.add(InventoryHost(name: name), toGroup: group) }
        let table: [(plays: [String], targets: [String], expected: [[String]])] = [
            (["web", "db"], [], [["web-1", "web-2"], ["db"]]),
            (["web", "db"], ["web-2"], [["web-2"], []]),
            (["all"], ["web:!web-1"], [["web-2"]]),
            (["web:&web-1", "all"], ["web-1", "db"], [["web-1"], ["web-1", "db"]]),
        ]
        for row in table {
            XCTAssertEqual(try CommandLineTargets.plannedHosts(playPatterns: row.plays, targets: row.targets, in: inventory), row.expected,
                           "\(row.plays) limited to \(row.targets)")
        }
        XCTAssertThrowsError(try CommandLineTargets.plannedHosts(playPatterns: ["web"], targets: ["wbe"], in: inventory)) { error in
            XCTAssertTrue("\(error)".contains("did you mean 'web'"), "\(error)")
        }
    }

    func testSSHConfigPatternsMatchTheAddressToo() throws {
        var inventory = Inventory()
        inventory.add(InventoryHost(name: "i-0abc", address: "10.0.11.10"), toGroup: "web")
        inventory.add(InventoryHost(name: "web-1a"), toGroup: "web")
        let resolver = HostResolver(inventory: inventory, sshConfig: sshConfig, sshConfigFile: nil)
        XCTAssertEqual(resolver.resolve("i-0abc").user, "admin", "Host 10.0.* applies to a host reached at 10.0.11.10")
        XCTAssertEqual(resolver.resolve("web-1a").user, "ec2-user", "Host web-1a applies by name")
        XCTAssertEqual(sshConfig.resolve("web-1a", address: "10.0.10.10").user, "ec2-user", "the first matching block wins, as in ssh")
        XCTAssertNil(sshConfig.resolve("other", address: "192.0.2.1").user)
    }
}

final class SSHConfigFileTests: XCTestCase {
    func testDevNullMeansNoConfigAsForSSH() throws {
        XCTAssertEqual(try SSHConfig.load(path: "/dev/null").blocks.count, 1, "only the implicit Host * block")
        XCTAssertThrowsError(try SSHConfig.load(path: "/nonexistent/ssh_config")) { error in
            XCTAssertTrue("\(error)".contains("cannot read ssh config /nonexistent/ssh_config"), "\(error)")
        }
    }

    func testLimitNarrowsEveryTargetOrStandsAlone() {
        XCTAssertEqual(CommandLineTargets.limited(["web", "db"], to: nil), ["web", "db"])
        XCTAssertEqual(CommandLineTargets.limited(["web", "db"], to: "web-1*"), ["web:&web-1*", "db:&web-1*"])
        XCTAssertEqual(CommandLineTargets.limited([], to: "web-2"), ["web-2"])
    }

    /// ansible-playbook's `provision -i hosts.ini site.yml -l web`: a target ending in .yml
    /// or .yaml is the playbook; `provision web-1a` still names hosts.
    func testAPlaybookAmongTheTargets() throws {
        let cases: [(targets: [String], option: String?, playbook: String?, hosts: [String])] = [
            (["site.yml"], nil, "site.yml", []),
            (["web-1a", "playbooks/web.yaml", "web-1c"], nil, "playbooks/web.yaml", ["web-1a", "web-1c"]),
            (["web-1a"], "p.yml", "p.yml", ["web-1a"]),
            (["web-1a"], nil, nil, ["web-1a"]),
        ]
        for c in cases {
            let split = try CommandLineTargets.playbookAndHosts(c.targets, playbookOption: c.option)
            XCTAssertEqual(split.playbook, c.playbook, "\(c.targets)")
            XCTAssertEqual(split.hosts, c.hosts, "\(c.targets)")
        }
        XCTAssertThrowsError(try CommandLineTargets.playbookAndHosts(["a.yml", "b.yml"], playbookOption: nil)) {
            XCTAssertTrue("\($0)".hasPrefix("one playbook at a time: a.yml, b.yml"), "\($0)")
        }
        XCTAssertThrowsError(try CommandLineTargets.playbookAndHosts(["a.yml"], playbookOption: "b.yml")) {
            XCTAssertTrue("\($0)".hasPrefix("two playbooks: -p b.yml and a.yml"), "\($0)")
        }
    }
}
