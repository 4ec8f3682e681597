import Foundation

/// Where a file a task names on the controller is looked for: `template: src=`, and the
/// `src` of `copy` and `unarchive`. The one rule, used by `validate`, the preflight and the
/// modules themselves. A task from a role looks in the role first (as Ansible does), then
/// beside the playbook.
public enum ControllerFiles {
    public enum Kind: Sendable {
        /// `template: src=`: the role's `templates/` and the role itself; then beside the
        /// playbook, its `templates/` and `../templates/`.
        case template
        /// `copy`/`unarchive` `src`: the role's `files/` and the role itself; then beside
        /// the playbook and its `files/`.
        case file
    }

    /// The places `src` may be, in order, as absolute standardized paths. `baseDirectory`
    /// is the play's directory; `roleDirectory` the task's role, if it comes from one.
    public static func candidates(_ src: String, kind: Kind, baseDirectory: String, roleDirectory: String? = nil) -> [String] {
        if src.hasPrefix("/") { return [src] }
        if src.hasPrefix("~/") { return [NSString(string: src).expandingTildeInPath] }
        var relative: [(String, String)] = []
        switch kind {
        case .template:
            if let roleDirectory { relative += [(roleDirectory, "templates/" + src), (roleDirectory, src)] }
            relative += [(baseDirectory, src), (baseDirectory, "templates/" + src), (baseDirectory, "../templates/" + src)]
        case .file:
            if let roleDirectory { relative += [(roleDirectory, "files/" + src), (roleDirectory, src)] }
            relative += [(baseDirectory, src), (baseDirectory, "files/" + src)]
        }
        var seen = Set<String>()
        return relative.map { base, path in
            // URL, not NSString: NSString's path methods trap on some relative forms (".").
            URL(fileURLWithPath: base).appendingPathComponent(path).standardizedFileURL.path
        }.filter { seen.insert($0).inserted }
    }

    /// The first candidate that exists (a regular file or a directory), or nil.
    public static func resolve(_ src: String, kind: Kind, baseDirectory: String, roleDirectory: String? = nil) -> String? {
        candidates(src, kind: kind, baseDirectory: baseDirectory, roleDirectory: roleDirectory)
            .first { FileManager.default.fileExists(atPath: $0) }
    }
}
