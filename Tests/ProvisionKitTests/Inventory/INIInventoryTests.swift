import Foundation
import XCTest
@testable import Inventory
@testable import ProvisionCore

/// Ansible's INI inventory format, read through the same loader as YAML: the course's
/// inventory in INI must mean exactly what it means in YAML.
final class INIInventoryTests: XCTestCase {
    func write(_ text: String, name: String = "hosts") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ini-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    let course = """
        # the course's hosts
        rds ansible_host=db.example.internal db_name=host_level

        [web]
        web-1a ansible_host=10.0.10.10 site_marker="Sample 1a"   # inline comment
        web-1c address=10.0.11.10 port=2222 key=~/.ssh/course.pem

        [web:vars]
        db_name=wp_web
        greeting=hello world

        ; a comment in the other style
        [all:vars]
        ansible_user=ec2-user
        db_name=wordpress

        [aws:children]
        web
        """

    func testTheCourseInventoryInINIMeansWhatItMeansInYAML() throws {
        let inventory = try InventoryLoader.load(path: try write(course))
        XCTAssertEqual(inventory.hosts.map(\.name), ["rds", "web-1a", "web-1c"])
        XCTAssertEqual(inventory.hosts(inGroup: "web"), ["web-1a", "web-1c"])
        XCTAssertEqual(inventory.hosts(inGroup: "ungrouped"), ["rds"])
        XCTAssertEqual(inventory.hosts(inGroup: "aws"), ["web-1a", "web-1c"], "children bring their hosts")
        let c = try XCTUnwrap(inventory.host(named: "web-1c"))
        XCTAssertEqual(c.address, "10.0.11.10")
        XCTAssertEqual(c.port, 2222)
        XCTAssertEqual(c.identityFile, "~/.ssh/course.pem")
        let a = inventory.variables(for: "web-1a")
        XCTAssertEqual(a["site_marker"]?.stringValue, "Sample 1a", "quotes keep spaces and are removed")
        XCTAssertEqual(a["db_name"]?.stringValue, "wp_web", "group vars over all's")
        XCTAssertEqual(a["greeting"]?.stringValue, "hello world", "a :vars line is one name=value")
        XCTAssertEqual(a["ansible_user"]?.stringValue, "ec2-user")
        XCTAssertEqual(inventory.variables(for: "rds")["db_name"]?.stringValue, "host_level", "host vars over group vars")
    }

    func testValuesAreReadAsAnsibleReadsThem() throws {
        let inventory = try InventoryLoader.load(path: try write("""
            [web]
            web-1 count=3 flag=True off=False word=yes quoted='42' path=/var/www
            """))
        let v = inventory.variables(for: "web-1")
        XCTAssertEqual(v["count"], .int(3))
        XCTAssertEqual(v["flag"], .bool(true))
        XCTAssertEqual(v["off"], .bool(false))
        XCTAssertEqual(v["word"], .string("yes"), "only Python's True/False are booleans in INI")
        XCTAssertEqual(v["quoted"], .string("42"))
        XCTAssertEqual(v["path"], .string("/var/www"))
    }

    func testHostRanges() throws {
        let cases: [(String, [String])] = [
            ("web-[1:3]", ["web-1", "web-2", "web-3"]),
            ("web-[08:10].lab", ["web-08.lab", "web-09.lab", "web-10.lab"]),
            ("db-[a:c]", ["db-a", "db-b", "db-c"]),
            ("w[0:10:5]", ["w0", "w5", "w10"]),
            ("r[1:2]-[a:b]", ["r1-a", "r1-b", "r2-a", "r2-b"]),
        ]
        for (pattern, expected) in cases {
            let at = SourceLocation(file: "hosts", line: 1)
            XCTAssertEqual(try INIInventory.expand(pattern, at: at), expected, pattern)
        }
        let inventory = try InventoryLoader.load(path: try write("[web]\nweb-[1:3] ansible_user=admin\n"))
        XCTAssertEqual(inventory.hosts(inGroup: "web"), ["web-1", "web-2", "web-3"])
        XCTAssertEqual(inventory.host(named: "web-3")?.user, "admin")
    }

    func testMistakesNameFileAndLine() throws {
        let cases: [(String, String)] = [
            ("[web]\nweb-1\n[web:var]\nx=1\n", ":3: unknown section kind ':var'"),
            ("[web\nweb-1\n", ":1: section header must end with ']'"),
            ("[web]\nweb-1 ansible_host\n", ":2: expected name=value, not 'ansible_host'"),
            ("[web]\nweb-1 site_marker=\"open\n", ":2: unterminated quote"),
            ("[web]\nweb-[3:1]\n", ":2: host range 'web-[3:1]'"),
            ("[web]\nweb;rm\n", ":2: host name 'web;rm'"),
            ("[web]\nweb-1 port=99999\n", "port must be a number from 1 to 65535"),
            ("[a:children]\nb\n[b:children]\na\n", ":4: inventory: group 'a' contains itself (a -> b -> a)"),
        ]
        for (text, message) in cases {
            let path = try write(text)
            XCTAssertThrowsError(try InventoryLoader.load(path: path), text) { error in
                XCTAssertTrue("\(error)".contains(message), "\(text): \(error)")
            }
        }
    }

    func testTheFormatIsToldByExtensionThenByContent() {
        XCTAssertTrue(INIInventory.isINI(path: "inventory.ini", text: "all:\n"))
        XCTAssertFalse(INIInventory.isINI(path: "inventory.yml", text: "[web]\n"))
        XCTAssertTrue(INIInventory.isINI(path: "hosts", text: "# c\n\n[web]\nweb-1\n"))
        XCTAssertTrue(INIInventory.isINI(path: "hosts", text: "web-1 ansible_host=10.0.0.5\n"))
        XCTAssertFalse(INIInventory.isINI(path: "hosts", text: "---\nall:\n  hosts: {}\n"))
        XCTAssertFalse(INIInventory.isINI(path: "hosts", text: "all:\n  hosts: {}\n"))
    }
}
