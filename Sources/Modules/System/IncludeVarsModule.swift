import Foundation
import Playbook
import ProvisionCore

/// `include_vars`: host variables from a YAML file on the controller, for the tasks after it
/// (at set_fact's rank). A relative name is looked up as Ansible does (`ControllerFiles`,
/// kind `.vars`): the role's `vars/` and the role, the playbook's `vars/` and its directory,
/// then `vars/` beside the task's file (of a `tasks/` directory: beside it) and the file's
/// directory. The name may be templated (`"{{ ansible_os_family }}.yml"`): it is
/// rendered with the host's facts before the file is read; validate and the preflight count
/// every file the template could name (`*` for each `{{ … }}`, in the first place with a
/// match) as defining its variables.
public struct IncludeVarsModule: Module {
    public static let spec = ModuleSpec(
        name: "include_vars", summary: "Host variables from a YAML file (a role's vars/, the play's vars/, or beside the task).",
        parameters: [ParameterSpec("file", aliases: ["_raw_params"]), ParameterSpec("name")],
        requiredOneOf: [["file"]], freeFormParameter: "file",
        variablesFromTask: { task in IncludeVarsModule.variablesNamed(by: task) },
        make: { try IncludeVarsModule($0) })

    public let hostVariables: [String: Value]
    let path: String

    init(_ args: ModuleArguments) throws {
        let file = try args.requiredString("file")
        let candidates = Self.candidates(for: file, taskFile: args.taskLocation?.file,
                                         baseDirectory: args.baseDirectory, roleDirectory: args.roleDirectory)
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw args.error("file", "'\(file)' not found (looked in: \(candidates.joined(separator: ", ")))")
        }
        path = found
        let values = try Self.load(found)
        hostVariables = try args.string("name").map { [$0: .dict(values)] } ?? values
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Void> {
        .ok("\(hostVariables.count) variable(s) from \(path)")
    }

    public func apply(_ plan: Void, _ context: TaskContext) throws -> TaskOutcome { TaskOutcome(changed: false) }

    /// Where a relative `file` may be, first match wins. Without the play's directory (a
    /// task checked on its own), the task's file stands in for it.
    static func candidates(for file: String, taskFile: String?, baseDirectory: String?, roleDirectory: String?) -> [String] {
        let taskDirectory = taskFile.map { PathText.directory(of: $0) } ?? FileManager.default.currentDirectoryPath
        return ControllerFiles.candidates(file, kind: .vars, baseDirectory: baseDirectory ?? taskDirectory, roleDirectory: roleDirectory,
                                          taskFile: taskFile ?? taskDirectory + "/task.yml")
    }

    /// A file read once per run for all hosts (keyed by its size and modification time, so an
    /// edit between two runs in one process is seen): every host of a play includes the same
    /// OS table.
    static func load(_ path: String) throws -> [String: Value] {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let stamp = "\(path)\u{0}\((attributes?[.size] as? NSNumber)?.intValue ?? -1)\u{0}\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1)"
        if let known = loaded.value(for: stamp) { return known }
        let values = try YAMLDocument.loadVariables(path: path, notAMapping: "include_vars: \(path) must be a mapping of variables")
        loaded.set(values, for: stamp)
        return values
    }

    static let loaded = LoadedFiles()

    final class LoadedFiles: @unchecked Sendable {
        // @unchecked Sendable: `files` is guarded by `lock`.
        private let lock = NSLock()
        private var files: [String: [String: Value]] = [:]
        func value(for key: String) -> [String: Value]? { lock.lock(); defer { lock.unlock() }; return files[key] }
        func set(_ value: [String: Value], for key: String) { lock.lock(); files[key] = value; lock.unlock() }
    }

    /// The variables a task sets, before it runs: every file its (maybe templated) name can
    /// match, read; `name:` when it gathers them under one.
    static func variablesNamed(by task: PlaybookTask) -> [String] {
        if let name = task.arguments["name"]?.stringValue, !TemplateEngine.isTemplate(name) { return [name] }
        guard let file = (task.arguments["file"] ?? task.arguments["_raw_params"])?.stringValue else { return [] }
        var names = Set<String>()
        // `include_vars: "{{ item }}"` with `with_first_found`: any file the list can find.
        if let lookup = task.firstFound, case .list(let entries)? = task.loop,
           (try? TemplateEngine.references(inTemplate: file))?.references.contains(where: { $0.name == task.loopVariable }) == true {
            let taskDirectory = PathText.directory(of: task.location.file)
            let directories = lookup.searchDirectories(roleDirectory: task.role?.directory, baseDirectory: taskDirectory)
            for entry in entries.compactMap(\.stringValue) {
                let pattern = TemplatedFileName.pattern(entry)
                let places = pattern.hasPrefix("/") ? [pattern] : directories.map { ControllerFiles.joined($0, pattern) }
                for path in places.flatMap(glob) { names.formUnion(((try? load(path)) ?? [:]).keys) }
            }
            return names.sorted()
        }
        let pattern = TemplatedFileName.pattern(file)
        // The first place with a match, as the run looks (a name renders to one file).
        for candidate in candidates(for: pattern, taskFile: task.location.file, baseDirectory: nil, roleDirectory: task.role?.directory) {
            let matches = Self.glob(candidate)
            for path in matches { names.formUnion(((try? load(path)) ?? [:]).keys) }
            if !matches.isEmpty { break }
        }
        return names.sorted()
    }

    static func glob(_ pattern: String) -> [String] {
        guard pattern.contains("*") else { return FileManager.default.fileExists(atPath: pattern) ? [pattern] : [] }
        let directory = PathText.directory(of: pattern)
        return TemplatedFileName.files(matching: (pattern as NSString).lastPathComponent, in: directory).map { directory + "/" + $0 }
    }
}
