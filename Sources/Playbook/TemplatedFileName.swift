import Foundation

/// A file name with `{{ … }}` in it (`setup-{{ ansible_os_family }}.yml`) is known only on a
/// host; before, every file it can name is found by reading each `{{ … }}` as `*`. The one
/// rule for templated `include_tasks` and `include_vars`.
public enum TemplatedFileName {
    /// `setup-{{ ansible_os_family }}.yml` -> `setup-*.yml`.
    public static func pattern(_ template: String) -> String {
        template.replacingOccurrences(of: #"\{\{.*?\}\}"#, with: "*", options: .regularExpression)
    }

    /// The regular files in `directory` whose names match `leaf` (a pattern's last part), sorted.
    public static func files(matching leaf: String, in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { name in
            var isDirectory: ObjCBool = false
            return fnmatch(leaf, name, 0) == 0
                && FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory) && !isDirectory.boolValue
        }.sorted()
    }
}
