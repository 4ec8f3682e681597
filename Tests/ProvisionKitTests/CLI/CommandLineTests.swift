import Foundation
import XCTest

/// The `provision` binary as scripts use it: exit codes and messages, with no host needed.
final class CommandLineTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "cli-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // A name that never resolves: a run that tried to connect would exit 4, not 1.
        try """
            all:
              hosts:
                web-1: {ansible_host: web-1.provision-test.invalid}
            """.write(toFile: dir + "/inventory.yml", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    func provision(_ arguments: [String]) throws -> Output {
        // The test bundle sits in the build products directory, beside the executable.
        var products = Bundle(for: CommandLineTests.self).bundleURL
        if products.pathExtension == "xctest" { products.deleteLastPathComponent() }
        let binary = products.appendingPathComponent("provision")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
                      stderr: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
    }

    func testABadPlaybookFailsWithFileAndLineBeforeConnecting() throws {
        try write("bad.yml", """
            - hosts: all
              tasks:
                - name: typo
                  shel:
                    cmd: "true"
            """)
        let run = try provision(["-p", "bad.yml", "web-1"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "error: bad.yml:4: unknown module or keyword 'shel' (did you mean 'shell'?)\n")
        let validate = try provision(["validate", "bad.yml"])
        XCTAssertEqual(validate.status, 1)
        XCTAssertTrue(validate.stderr.contains("bad.yml:4"), validate.stderr)
    }

    func testUnknownTargetIsAUsageError() throws {
        try write("ok.yml", "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n")
        let run = try provision(["-p", "ok.yml", "web-2"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "error: unknown host or group 'web-2' (did you mean 'web-1'?)\n")
    }

    func testBadExtraVarsIsAUsageError() throws {
        try write("ok.yml", "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n")
        let run = try provision(["-p", "ok.yml", "-e", "novalue", "web-1"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.hasPrefix("error: -e"), run.stderr)
    }

    func testUnreachableHostExitsFour() throws {
        try write("ok.yml", "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n")
        let run = try provision(["-p", "ok.yml", "--json", "web-1"])
        XCTAssertEqual(run.status, 4, run.stdout + run.stderr)
        let lines = run.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        XCTAssertEqual(lines.last?["event"] as? String, "recap")
        XCTAssertEqual(lines.last?["exit_code"] as? Int, 4)
        XCTAssertTrue(lines.contains { $0["status"] as? String == "unreachable" })
    }

    func testSecretsInitCreatesAPrivateFileAndNeverRegenerates() throws {
        let first = try provision(["secrets", "init", "--file", "s/secrets.yml"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let path = dir + "/s/secrets.yml"
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual(attributes[.posixPermissions] as? Int, 0o600)
        let before = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(before.components(separatedBy: "_KEY:").count + before.components(separatedBy: "_SALT:").count - 2, 8)
        XCTAssertFalse(first.stdout.contains(before.split(separator: "\"")[1]), "a generated secret was printed")
        let second = try provision(["secrets", "init", "--file", "s/secrets.yml"])
        XCTAssertEqual(second.status, 0)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), before)
    }

    func testASecretsFileOthersCanReadIsRefused() throws {
        try write("ok.yml", "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n")
        try write("secrets.yml", "db_password: x\n")
        chmod(dir + "/secrets.yml", 0o644)
        let run = try provision(["-p", "ok.yml", "web-1"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "error: secrets file secrets.yml is readable by others (mode 644) (run: chmod 600 secrets.yml)\n")
    }
}
