import Foundation
import ProvisionCore

/// `with_first_found`: the task runs once, with `item` the first of its candidate files
/// that exists (`Distribution.yml`, then `os_family.yml`, then `default.yml` is the usual
/// use, with `include_vars`). Relative names are looked for as Ansible does: in the given
/// `paths`, then in the role's `vars/`, `files/`, `templates/`, `tasks/` and the role
/// itself, then the same under the playbook's directory. None found is an error, or a
/// skipped task with `skip: true`.
public struct FirstFound: Sendable, Equatable {
    public var paths: [String]
    public var skip: Bool

    public init(paths: [String] = [], skip: Bool = false) {
        self.paths = paths
        self.skip = skip
    }

    static let subdirectories = ["vars", "files", "templates", "tasks"]

    /// `paths` (relative ones beside the playbook), then the role's and the playbook's
    /// subdirectories and themselves (`ControllerFiles.searchDirectories`).
    public func searchDirectories(roleDirectory: String?, baseDirectory: String) -> [String] {
        let given = paths.map { $0.hasPrefix("/") ? $0 : ControllerFiles.joined(baseDirectory, $0) }
        return ControllerFiles.unique(given + ControllerFiles.searchDirectories(Self.subdirectories, baseDirectory: baseDirectory,
                                                                                 roleDirectory: roleDirectory))
    }

    /// The first candidate that is a file, as an absolute path.
    public func first(of candidates: [String], roleDirectory: String?, baseDirectory: String) -> String? {
        let directories = searchDirectories(roleDirectory: roleDirectory, baseDirectory: baseDirectory)
        for name in candidates where !name.isEmpty {
            let places = name.hasPrefix("/") ? [name] : directories.map { ($0 as NSString).appendingPathComponent(name) }
            if let hit = places.first(where: { var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue }) {
                return hit
            }
        }
        return nil
    }

    /// The loop's one item, none (skip), or the error naming what was tried.
    public func items(_ rendered: [Value], roleDirectory: String?, baseDirectory: String, at location: SourceLocation) throws -> [Value] {
        let names = rendered.map(\.text)
        if let found = first(of: names, roleDirectory: roleDirectory, baseDirectory: baseDirectory) { return [.string(found)] }
        if skip { return [] }
        throw InputError("with_first_found: none of \(names.joined(separator: ", ")) was found", at: location,
                         hint: "looked in \(searchDirectories(roleDirectory: roleDirectory, baseDirectory: baseDirectory).joined(separator: ", ")); add skip: true to skip the task instead")
    }
}
