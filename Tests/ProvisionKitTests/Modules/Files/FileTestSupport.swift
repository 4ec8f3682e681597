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

/// Drives a file module the way the engine does, for real, on this machine: the probe
/// snippet runs through LocalConnection inside a ProbeBatch (the same framing a remote
/// script uses), decide runs on its output, and apply runs unless in check mode.
struct FileModuleDriver {
    let directory: String
    var connection: any Connection = LocalConnection(hostName: "local")
    var variables: [String: Value] = [:]
    var become = false

    init() throws {
        directory = NSTemporaryDirectory() + "filemodules-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { directory + "/" + name }

    func context(check: Bool = false, diff: Bool = false) -> TaskContext {
        let variables = self.variables
        return TaskContext(
            hostName: connection.hostName, connection: connection,
            facts: Facts(distribution: .debian, osID: "debian", osVersion: "12", packageManager: .apt, initSystem: .sysv,
                         architecture: "x86_64", hostname: "local"),
            become: become, checkMode: check, diffMode: diff, variables: variables, baseDirectory: directory,
            renderTemplate: { source, origin in
                try TemplateEngine.render(source, variables: variables, origin: SourceLocation(file: origin, line: 1))
            },
            connectionTo: { _ in throw ModuleError("no other hosts") }, playHosts: [connection.hostName], warn: { _ in })
    }

    func module(_ spec: ModuleSpec, _ args: [String: Value]) throws -> any Module {
        try spec.make(ModuleArguments(module: spec.name, values: args))
    }

    /// The probe's real output, framed and parsed as the engine does.
    func probe(_ module: any Module, _ context: TaskContext) throws -> ProbeResult? {
        guard let snippet = try module.probe(context) else { return nil }
        var batch = ProbeBatch()
        batch.add(key: 1, script: snippet)
        let result = try connection.run(batch.script, stdin: Data(), become: context.become, timeout: nil, onOutput: nil)
        return try batch.parse(result.stdoutText)[1]
    }

    @discardableResult
    func run(_ spec: ModuleSpec, _ args: [String: Value], check: Bool = false, diff: Bool = false) throws -> TaskOutcome {
        let module = try module(spec, args)
        let context = context(check: check, diff: diff)
        return try module.run(probe: try probe(module, context), context: context).0
    }

    /// First run changed, second ok; check mode on the fresh target predicts the change and
    /// changes nothing; check mode on the converged target predicts ok.
    func assertConverges(_ spec: ModuleSpec, _ args: [String: Value], snapshot: () -> String,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        let before = snapshot()
        let predicted = try run(spec, args, check: true)
        XCTAssertTrue(predicted.changed, "check mode on a fresh target predicts a change", file: file, line: line)
        XCTAssertEqual(snapshot(), before, "check mode changed nothing", file: file, line: line)
        let first = try run(spec, args)
        XCTAssertTrue(first.changed, "first run changed", file: file, line: line)
        XCTAssertNotEqual(snapshot(), before, "first run changed the target", file: file, line: line)
        let converged = snapshot()
        let second = try run(spec, args)
        XCTAssertFalse(second.changed, "second run ok: \(second.message ?? "")", file: file, line: line)
        XCTAssertEqual(snapshot(), converged, file: file, line: line)
        let checkConverged = try run(spec, args, check: true)
        XCTAssertFalse(checkConverged.changed, "check mode on a converged target predicts ok", file: file, line: line)
    }

    func read(_ name: String) -> String? { try? String(contentsOfFile: path(name), encoding: .utf8) }

    func write(_ name: String, _ text: String, mode: Int = 0o644) throws {
        try text.write(toFile: path(name), atomically: false, encoding: .utf8)
        chmod(path(name), mode_t(mode))
    }

    /// Owner, group and mode as `stat` shows them, plus the content (or the kind).
    func describe(_ name: String) -> String {
        let r = try? connection.run("stat -c '%U:%G:%a:%F' -- \(Shell.quote(path(name))) 2>&1; cat -- \(Shell.quote(path(name))) 2>/dev/null; readlink -- \(Shell.quote(path(name)))")
        return r?.stdoutText ?? "?"
    }

    func shell(_ command: String) throws -> String {
        let r = try connection.run(command)
        XCTAssertEqual(r.exitStatus, 0, "\(command): \(r.stderrText)")
        return r.stdoutText
    }
}
