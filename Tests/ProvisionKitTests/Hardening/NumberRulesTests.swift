import Foundation
import XCTest
@testable import ProvisionCore
@testable import Transport
@testable import Database
@testable import Cloud
@testable import Inventory
@testable import Playbook
@testable import Modules
@testable import Engine

/// Issue 17 item 11: every number from ssh_config, the inventory, module arguments, the
/// command line is range-checked with a message naming where it came from; conversions clamp.
final class NumberRulesTests: XCTestCase {
    func testSSHConfigNumbersTable() {
        let table: [(String, String?)] = [
            ("Host x\n  ConnectTimeout 5\n  Port 2222\n", nil),
            ("Host x\n  ConnectTimeout 3000000\n", "cfg:2: ssh config: ConnectTimeout 3000000 is out of range (1 to 86400 seconds)"),
            ("Host x\n  ConnectTimeout=0\n", "cfg:2: ssh config: ConnectTimeout 0 is out of range (1 to 86400 seconds)"),
            ("Host x\n  connecttimeout -3\n", "cfg:2: ssh config: connecttimeout -3 is out of range (1 to 86400 seconds)"),
            ("Port 99999999999999999999\n", "cfg:1: ssh config: Port 99999999999999999999 is out of range (1 to 65535)"),
            ("Port 65536\n", "cfg:1: ssh config: Port 65536 is out of range (1 to 65535)"),
            ("Port ssh\n", "cfg:1: ssh config: Port must be a whole number (1 to 65535), not 'ssh'"),
            ("Host x\n  Port \"22\"\n", nil),
        ]
        for (text, expected) in table {
            do {
                let config = try SSHConfig.parse(text, file: "cfg")
                XCTAssertNil(expected, "accepted: \(text)")
                if expected == nil, text.contains("2222") { XCTAssertEqual(config.resolve("x").connectTimeout, 5) }
            } catch {
                XCTAssertEqual("\(error)", expected, text)
            }
        }
    }

    func testInventoryAndModuleNumbers() throws {
        let inventory = """
            all:
              children:
                web:
                  vars: {ansible_port: 70000}
                  hosts: {web-1: {ansible_host: 10.0.10.10}}
            """
        XCTAssertThrowsError(try InventoryLoader.build(from: try YAMLDocument.loadValue(text: inventory, file: "inventory.yml"), file: "inventory.yml")) { error in
            XCTAssertTrue("\(error)".contains("inventory group 'web': ansible_port 70000 is out of range (1 to 65535)"), "\(error)")
        }
        let cases: [(Value, String?)] = [
            (.int(10), nil), (.int(86_400), nil),
            (.int(5_000_000_000), "mysql_db: parameter 'connect_timeout' 5000000000 is out of range (1 to 86400 seconds)"),
            (.int(0), "mysql_db: parameter 'connect_timeout' 0 is out of range (1 to 86400 seconds)"),
            (.string("99999999999999999999"), "mysql_db: parameter 'connect_timeout' must be an integer"),
        ]
        for (value, expected) in cases {
            do {
                _ = try MySQLDatabaseModule.spec.make(ModuleArguments(module: "mysql_db", values: ["name": "wp", "connect_timeout": value]))
                XCTAssertNil(expected, "\(value) accepted")
            } catch {
                XCTAssertNotNil(expected, "\(value): \(error)")
                if let expected { XCTAssertTrue("\(error)".contains(expected), "\(error)") }
            }
        }
    }

    func testConversionsClampInsteadOfTrapping() {
        let ms: [(TimeInterval, Int32)] = [(0, 0), (-5, 0), (.nan, 0), (.infinity, Int32.max), (1e300, Int32.max),
                                          (3_000_000, Int32.max), (2.5, 2500), (86_400, 86_400_000)]
        for (seconds, expected) in ms { XCTAssertEqual(NumberRules.milliseconds(seconds), expected, "\(seconds)") }
        XCTAssertEqual(NumberRules.clampedUInt32(5_000_000_000), UInt32.max)
        XCTAssertEqual(NumberRules.clampedUInt32(-1), 0)
        XCTAssertEqual(NumberRules.clampedUInt32(TimeInterval(1e300)), UInt32.max)
        XCTAssertEqual(NumberRules.clampedUInt32(TimeInterval(30)), 30)
    }

    /// Through the binary: exit 1 with a message naming the source, never a trap.
    func testCommandLineAndConfigNumbersExitOneWithTheSource() throws {
        let dir = try makeTempDir([
            "inventory.yml": "all:\n  hosts:\n    web-1: {ansible_host: web-1.provision-test.invalid}\n",
            "ok.yml": "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n",
            "ssh_config": "Host web-1\n  ConnectTimeout 3000000\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let table: [([String], String)] = [
            (["-F", "ssh_config", "-p", "ok.yml", "web-1"], "ssh_config:2: ssh config: ConnectTimeout 3000000 is out of range"),
            (["--forks", "99999", "-p", "ok.yml", "web-1"], "--forks: count 99999 is out of range (1 to 4096 hosts)"),
            (["--wait-for-ssh", "3000000000", "-p", "ok.yml", "web-1"], "--wait-for-ssh: seconds 3000000000 is out of range (1 to 86400 seconds)"),
            (["--health-check-path", "/", "--health-check-timeout", "5000000000", "-p", "ok.yml", "web-1"], "--health-check-timeout: timeout 5000000000 is out of range"),
            (["--health-check-path", "/", "--health-check-port", "70000", "-p", "ok.yml", "web-1"], "--health-check-port: port 70000 is out of range (1 to 65535)"),
        ]
        for (arguments, message) in table {
            let run = TestProcess.run(TestProcess.provisionBinary, arguments, directory: dir)
            XCTAssertEqual(run.status, 1, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
    }
}
