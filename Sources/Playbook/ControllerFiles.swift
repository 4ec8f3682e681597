import Foundation
import ProvisionCore

/// Where a file a task names on the controller is looked for: the one rule, Ansible's search
/// path, for `template: src=`, `copy`/`unarchive` `src`, `lookup('file')`, `include_vars` and
/// `with_first_found`; used by `validate`, the preflight and the modules themselves.
///
/// A relative name is looked for in the task's role (its subdirectory for the kind, then the
/// role itself), then beside the playbook (the same two), then, when the task's own file is
/// known, beside that file (in a `tasks/` directory: its parent's subdirectory first).
public enum ControllerFiles {
    public enum Kind: Sendable {
        /// `template: src=` (`templates/`; also the repository's `../templates/`, beside
        /// `playbooks/`).
        case template
        /// `copy`/`unarchive` `src`, `lookup('file')` (`files/`).
        case file
        /// `include_vars` (`vars/`).
        case vars

        var subdirectory: String {
            switch self {
            case .template: return "templates"
            case .file: return "files"
            case .vars: return "vars"
            }
        }
    }

    /// The directories searched, in order: for the role (if any), then the playbook's
    /// directory, each of `subdirectories` and then the directory itself.
    public static func searchDirectories(_ subdirectories: [String], baseDirectory: String, roleDirectory: String?) -> [String] {
        var directories: [String] = []
        for root in [roleDirectory, baseDirectory].compactMap({ $0 }) {
            directories += subdirectories.map { joined(root, $0) } + [standardized(root)]
        }
        return unique(directories)
    }

    /// The places `src` may be, in order, as absolute standardized paths. `baseDirectory`
    /// is the play's directory; `roleDirectory` the task's role, if it comes from one;
    /// `taskFile` the file the task is written in, when it counts (`include_vars`).
    public static func candidates(_ src: String, kind: Kind, baseDirectory: String, roleDirectory: String? = nil,
                                  taskFile: String? = nil) -> [String] {
        if src.hasPrefix("/") { return [src] }
        if src.hasPrefix("~/") { return [NSString(string: src).expandingTildeInPath] }
        var directories = searchDirectories([kind.subdirectory], baseDirectory: baseDirectory, roleDirectory: roleDirectory)
        if kind == .template { directories.append(joined(baseDirectory, "../templates")) }
        if let taskFile {
            let taskDirectory = PathText.directory(of: taskFile)
            if (taskDirectory as NSString).lastPathComponent == "tasks" {
                directories.append(joined(PathText.directory(of: taskDirectory), kind.subdirectory))
            }
            directories += [joined(taskDirectory, kind.subdirectory), standardized(taskDirectory)]
        }
        return unique(unique(directories).map { joined($0, src) })
    }

    /// The first candidate that exists (a regular file or a directory), or nil.
    public static func resolve(_ src: String, kind: Kind, baseDirectory: String, roleDirectory: String? = nil) -> String? {
        candidates(src, kind: kind, baseDirectory: baseDirectory, roleDirectory: roleDirectory)
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    /// `path` under `base`, standardized (`..` and `.` resolved). URL, not NSString:
    /// NSString's path methods trap on some relative forms (".").
    public static func joined(_ base: String, _ path: String) -> String {
        URL(fileURLWithPath: base.isEmpty ? "." : base).appendingPathComponent(path).standardizedFileURL.path
    }

    static func standardized(_ directory: String) -> String {
        URL(fileURLWithPath: directory.isEmpty ? "." : directory).standardizedFileURL.path
    }

    static func unique(_ paths: [String]) -> [String] {
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }
}
