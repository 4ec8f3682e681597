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

struct NoopModule: Module {
    func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Void> { .ok() }
    func apply(_ plan: Void, _ context: TaskContext) throws -> TaskOutcome { TaskOutcome(changed: false) }
}

/// A small module list of our own, so tests do not depend on which modules exist.
let testSpecs: [ModuleSpec] = {
    let make: @Sendable (ModuleArguments) throws -> any Module = { _ in NoopModule() }
    return [
        ModuleSpec(name: "command", aliases: ["shell"], parameters: [
            ParameterSpec("cmd"), ParameterSpec("creates"), ParameterSpec("removes"), ParameterSpec("chdir"),
        ], requiredOneOf: [["cmd"]], freeFormParameter: "cmd", make: make),
        ModuleSpec(name: "copy", parameters: [
            ParameterSpec("src"), ParameterSpec("content"), ParameterSpec("dest", required: true),
            ParameterSpec("owner"), ParameterSpec("mode", .mode), ParameterSpec("backup", .bool),
        ], requiredOneOf: [["src", "content"]], make: make),
        ModuleSpec(name: "file", parameters: [
            ParameterSpec("path", required: true, aliases: ["dest", "name"]),
            ParameterSpec("state", choices: ["file", "directory", "link", "absent", "touch"]),
            ParameterSpec("recurse", .bool), ParameterSpec("mode", .mode), ParameterSpec("owner"),
        ], make: make),
        ModuleSpec(name: "template", parameters: [
            ParameterSpec("src", required: true), ParameterSpec("dest", required: true), ParameterSpec("mode", .mode),
        ], controllerFile: ControllerFileParameter("src", kind: .template), make: make),
        ModuleSpec(name: "package", aliases: ["yum", "dnf", "apt"], parameters: [
            ParameterSpec("name", .list, required: true, aliases: ["pkg"]),
            ParameterSpec("state", choices: ["present", "latest", "absent"]),
            ParameterSpec("update_cache", .bool),
        ], make: make),
        ModuleSpec(name: "service", parameters: [
            ParameterSpec("name", required: true), ParameterSpec("state", choices: ["started", "stopped", "restarted", "reloaded"]),
            ParameterSpec("enabled", .bool),
        ], make: make),
        ModuleSpec(name: "mysql_db", parameters: [ParameterSpec("name", required: true), ParameterSpec("port", .int)], make: make),
    ]
}()

/// A fresh temporary directory with the given files (relative path -> contents).
func makeTempDir(_ files: [String: String] = [:]) throws -> String {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("provision-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (path, text) in files {
        let full = (dir as NSString).appendingPathComponent(path)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }
    return dir
}

func loadPlaybook(_ text: String, file: String = "site.yml", specs: [ModuleSpec] = testSpecs) throws -> Playbook {
    try PlaybookLoader.load(text: text, file: file, baseDirectory: "/nonexistent", specs: specs)
}

/// The error `body` throws, as text ("file:line: message (hint)"), or a failure.
func errorText(_ body: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) -> String? {
    do {
        _ = try body()
        XCTFail("expected an error", file: file, line: line)
        return nil
    } catch let error as InputError {
        return error.description
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
        return nil
    }
}
