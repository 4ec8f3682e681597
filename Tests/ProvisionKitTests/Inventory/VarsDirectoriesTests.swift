import Foundation
import XCTest
@testable import Inventory
@testable import ProvisionCore

/// `group_vars/` and `host_vars/` beside the inventory: every form Ansible reads, and
/// Ansible's order between them and the inventory file's own variables.
final class VarsDirectoriesTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vars-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func write(_ path: String, _ text: String) throws {
        let full = dir + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    let inventory = """
        all:
          vars: {level: all-inline, from_all: inline}
          children:
            web:
              vars: {level: web-inline}
              children:
                az_1a:
                  hosts:
                    web-1a: {level: host-inline}
            db:
              hosts:
                rds:
        """

    func testEachLevelWinsOverTheOneBelowAsInAnsible() throws {
        try write("inventory.yml", inventory)
        try write("group_vars/all.yml", "level: all-file\nfrom_all: file\nonly_all: 1\n")
        try write("group_vars/web", "level: web-file\nonly_web: 1\n")            // no extension
        try write("group_vars/az_1a/main.yml", "level: az-file\n")               // a directory
        try write("group_vars/az_1a/zz.yaml", "late: zz\n")
        try write("group_vars/az_1a/aa.json", "{\"late\": \"aa\"}")              // sorted: aa, then zz
        let inv = try InventoryLoader.load(path: dir + "/inventory.yml")
        let cases: [(host: String, name: String, expected: String?, why: String)] = [
            ("rds", "level", "all-file", "group_vars/all over all's inline vars"),
            ("rds", "from_all", "file", "group_vars/all over all's inline vars"),
            ("rds", "only_web", nil, "a group's file only for its hosts"),
            ("web-1a", "only_all", "1", "group_vars/all applies to every host"),
            ("web-1a", "only_web", "1", "a parent group's file applies to its children's hosts"),
            ("web-1a", "late", "zz", "files of a group's directory in order, later winning"),
            ("web-1a", "level", "host-inline", "the host's inline vars over every group's"),
        ]
        for c in cases {
            XCTAssertEqual(inv.variables(for: c.host)[c.name]?.text, c.expected, "\(c.host).\(c.name): \(c.why)")
        }
        try write("host_vars/web-1a.yml", "level: host-file\n")
        let withHostFile = try InventoryLoader.load(path: dir + "/inventory.yml")
        XCTAssertEqual(withHostFile.variables(for: "web-1a")["level"]?.text, "host-file", "host_vars over the host's inline vars")
        XCTAssertEqual(withHostFile.variables(for: "rds")["level"]?.text, "all-file")
    }

    /// Beside the playbook: each group's and host's file just above the inventory's own for
    /// it; `group_vars/all.yml` there is the playbook's defaults layer, not read here.
    func testThePlaybooksGroupAndHostVarsRankJustAboveTheInventorysOwn() throws {
        try write("inventory/inventory.yml", inventory)
        try write("inventory/group_vars/web.yml", "level: web-file\nweb_only: inventory\n")
        try write("play/group_vars/web.yml", "web_only: playbook\n")
        try write("play/group_vars/az_1a.yml", "level: az-playbook\n")
        try write("play/group_vars/all.yml", "level: playbook-defaults\n")
        try write("play/host_vars/rds.yml", "level: rds-playbook\n")
        var inv = try InventoryLoader.load(path: dir + "/inventory/inventory.yml")
        try inv.readVarsDirectories(besidePlaybookIn: dir + "/play")
        XCTAssertEqual(inv.variables(for: "web-1a")["web_only"]?.text, "playbook", "the playbook's web file over the inventory's")
        XCTAssertEqual(inv.variables(for: "web-1a")["level"]?.text, "host-inline", "a host's inline vars over every group file")
        XCTAssertEqual(inv.variables(for: "rds")["level"]?.text, "rds-playbook", "the playbook's host file over every group")
        try write("inventory/inventory.yml", inventory.replacingOccurrences(of: "web-1a: {level: host-inline}", with: "web-1a:"))
        var hostless = try InventoryLoader.load(path: dir + "/inventory/inventory.yml")
        try hostless.readVarsDirectories(besidePlaybookIn: dir + "/play")
        XCTAssertEqual(hostless.variables(for: "web-1a")["level"]?.text, "az-playbook")
        XCTAssertNil(hostless.variables(for: "rds")["web_only"])
        XCTAssertNotEqual(hostless.variables(for: "rds")["level"]?.text, "playbook-defaults", "all.yml beside the playbook is the defaults layer")

        // Beside the inventory itself: read once, as the inventory's.
        var same = try InventoryLoader.load(path: dir + "/inventory/inventory.yml")
        try same.readVarsDirectories(besidePlaybookIn: dir + "/inventory")
        XCTAssertEqual(same.variables(for: "web-1a")["web_only"]?.text, "inventory")
    }

    func testAGroupFileRanksOverEveryGroupsInlineVars() throws {
        // Ansible: all inline < all file < (every other group's inline, by depth) < (their files).
        try write("inventory.yml", inventory)
        try write("group_vars/web.yml", "level: web-file\n")
        try write("group_vars/az_1a.yml", "{}\n")
        let inv = try InventoryLoader.load(path: dir + "/inventory.yml")
        try write("inventory2.yml", inventory.replacingOccurrences(of: "web-1a: {level: host-inline}", with: "web-1a:")
            .replacingOccurrences(of: "az_1a:\n", with: "az_1a:\n          vars: {level: az-inline}\n"))
        let noHostVars = try InventoryLoader.load(path: dir + "/inventory2.yml")
        XCTAssertEqual(noHostVars.variables(for: "web-1a")["level"]?.text, "web-file",
                       "web's file beats az_1a's inline vars although az_1a is deeper")
        XCTAssertEqual(inv.variables(for: "web-1a")["level"]?.text, "host-inline")
    }

    func testHostVarsReachTheConnectionAndCommandLineHosts() throws {
        try write("hosts.ini", "[web]\nweb-1\n")
        try write("host_vars/web-1.yml", "ansible_host: 10.0.10.10\nansible_user: ec2-user\nansible_port: 2222\n")
        try write("host_vars/typed-later.yml", "marker: later\n")
        let inv = try InventoryLoader.load(path: dir + "/hosts.ini")
        let resolved = HostResolver(inventory: inv, sshConfig: SSHConfig(), sshConfigFile: nil).resolve("web-1")
        XCTAssertEqual(resolved.address, "10.0.10.10")
        XCTAssertEqual(resolved.user, "ec2-user")
        XCTAssertEqual(resolved.port, 2222)
        XCTAssertEqual(inv.variables(for: "typed-later")["marker"]?.text, "later", "a host not in the file yet keeps its host_vars")
    }

    func testIgnoredFilesAndMistakes() throws {
        try write("inventory.yml", inventory)
        try write("group_vars/web.yml~", "level: backup\n")
        try write("group_vars/.web.yml.swp", "level: swap\n")
        try write("group_vars/web.txt", "level: text\n")
        XCTAssertEqual(try InventoryLoader.load(path: dir + "/inventory.yml").variables(for: "web-1a")["level"]?.text, "host-inline")
        try write("group_vars/web.yml", "- a list\n")
        XCTAssertThrowsError(try InventoryLoader.load(path: dir + "/inventory.yml")) { error in
            XCTAssertTrue("\(error)".contains("group_vars/web.yml:1: "), "\(error)")
            XCTAssertTrue("\(error)".contains("must be a mapping of variables"), "\(error)")
        }
        try FileManager.default.removeItem(atPath: dir + "/group_vars/web.yml")
        try write("host_vars/web-1a.yml", "ansible_host: '10.0.0.1; rm -rf /'\n")
        XCTAssertThrowsError(try InventoryLoader.load(path: dir + "/inventory.yml")) { error in
            XCTAssertTrue("\(error)".contains("is not a host name or IP address"), "\(error)")
        }
    }
}
