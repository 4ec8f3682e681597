import Foundation
import XCTest
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

/// The systemd probe, run by a real shell on `systemctl show` output as systemd prints it
/// (a `systemctl` on the PATH that prints the fixture): what it reports to `decide`.
final class ServiceModuleTests: XCTestCase {
    var driver: FileModuleDriver!

    override func setUpWithError() throws { driver = try FileModuleDriver() }
    override func tearDown() { driver?.remove() }

    /// Runs the probe with a `systemctl` that prints `show` for `show` and `isEnabled` for
    /// `is-enabled` (exit 1 when empty, as systemctl does for an unknown unit), and logs its calls.
    func probe(show: String, isEnabled: String = "") throws -> (fields: [String: String], calls: [String]) {
        let bin = driver.path("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let fake = """
            #!/bin/sh
            echo "$*" >> \(Shell.quote(driver.path("calls")))
            case $1 in
              show) printf '%s\\n' \(Shell.quote(show)) ;;
              is-enabled) [ -n \(Shell.quote(isEnabled)) ] || exit 1; echo \(Shell.quote(isEnabled)) ;;
            esac
            """
        try driver.write("bin/systemctl", fake, mode: 0o755)
        let module = try ServiceModule(ModuleArguments(module: "service", values: [
            "name": .string("httpd"), "state": .string("started"), "enabled": .bool(true)]))
        var context = driver.context()
        context.facts.initSystem = .systemd
        context.facts.packageManager = .dnf
        let script = "PATH=\(Shell.quote(bin)):$PATH\n" + (try XCTUnwrap(try module.probe(context)))
        let output = try driver.shell(script)
        var fields: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        let calls = (driver.read("calls") ?? "").split(separator: "\n").map(String.init)
        return (fields, calls)
    }

    func testARunningEnabledUnitIsOneSystemctlCall() throws {
        let (fields, calls) = try probe(show: "LoadState=loaded\nActiveState=active\nUnitFileState=enabled")
        XCTAssertEqual(fields, ["exists": "yes", "active": "active", "enabled": "enabled"])
        XCTAssertEqual(calls, ["show -p LoadState -p ActiveState -p UnitFileState -- httpd"])
    }

    func testAStoppedDisabledUnit() throws {
        let (fields, _) = try probe(show: "LoadState=loaded\nActiveState=inactive\nUnitFileState=disabled")
        XCTAssertEqual(fields, ["exists": "yes", "active": "inactive", "enabled": "disabled"])
    }

    func testAnUnknownUnitDoesNotExist() throws {
        let (fields, _) = try probe(show: "LoadState=not-found\nActiveState=inactive\nUnitFileState=")
        XCTAssertEqual(fields, ["exists": "no", "active": "inactive", "enabled": ""])
    }

    /// A unit generated from an init script has no unit file state: is-enabled asks its rc links.
    func testAGeneratedUnitAsksIsEnabled() throws {
        let (fields, calls) = try probe(show: "LoadState=loaded\nActiveState=active\nUnitFileState=generated", isEnabled: "enabled")
        XCTAssertEqual(fields["enabled"], "enabled")
        XCTAssertEqual(calls.count, 2, "\(calls)")
    }

    /// No systemd answering (systemctl fails): nothing exists, as `systemctl cat` said before.
    func testNoAnswerMeansNoUnit() throws {
        let (fields, _) = try probe(show: "")
        XCTAssertEqual(fields["exists"], "no")
    }
}
