import Foundation
import XCTest
@testable import Engine
@testable import ProvisionCore
@testable import Transport

/// The one flow of a run (push and pull share it), through the real engine on this machine.
final class RunFlowTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "runflow-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    func flow(_ yaml: String, reporter: CollectingReporter, notes: NotesBox) throws -> RunFlow {
        let path = directory + "/site.yml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.extraVariables = ["secrets_file": .string(directory + "/secrets.yml")]
        return RunFlow(options: options, playbookPath: path, targets: ["here"], reporter: reporter,
                       redactor: Redactor(), note: { notes.append($0) })
    }

    func testAMistakeIsRejectedWithItsLineBeforeAnyHostIsTouched() throws {
        let reporter = CollectingReporter(), notes = NotesBox()
        let marker = directory + "/touched"
        let outcome = try flow("""
            - hosts: web
              tasks:
                - name: touch
                  command: touch \(marker)
                - name: undefined
                  debug: {msg: "{{ not_defined_anywhere }}"}
            """, reporter: reporter, notes: notes)
            .run(provisioner: Provisioner(localHost: "here", options: RunOptions()), connector: { _ in LocalConnection(hostName: "here") })
        guard case .rejected(let problems) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(outcome.exitCode, ExitCode.usage)
        XCTAssertTrue(problems.contains { $0.contains("site.yml:6") && $0.contains("not_defined_anywhere") }, "\(problems)")
        XCTAssertTrue(reporter.tasks.isEmpty)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "a host was touched")
    }

    func testAGeneratedSecretIsMadeOnFirstUseWithANoteAndTheRunsRecapDecidesTheExitCode() throws {
        let reporter = CollectingReporter(), notes = NotesBox()
        let outcome = try flow("""
            - hosts: web
              tasks:
                - name: uses the generated password
                  command: "test -n '{{ db_password }}'"
            """, reporter: reporter, notes: notes)
            .run(provisioner: Provisioner(localHost: "here", options: RunOptions()), connector: { _ in LocalConnection(hostName: "here") })
        guard case .ran(let recap) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(recap.first?.1.changed, 1)
        XCTAssertEqual(outcome.exitCode, ExitCode.success)
        XCTAssertTrue(notes.lines.contains { $0.contains("created \(directory)/secrets.yml (mode 0600) with generated db_password") }, "\(notes.lines)")
        let secrets = try String(contentsOfFile: directory + "/secrets.yml", encoding: .utf8)
        XCTAssertTrue(secrets.contains("db_password:"))
        XCTAssertFalse(notes.lines.joined().contains(try XCTUnwrap(SecretsFile.load(path: directory + "/secrets.yml")["db_password"]?.text)))
    }
}

final class NotesBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}
