import Foundation
import Playbook

/// ansible-playbook's `--list-hosts`, `--list-tasks` and `--list-tags`, in its layout: each
/// play with its pattern, then its hosts, its tasks (those `--tags`/`--skip-tags` select,
/// with their tags) or the union of its tasks' tags. Nothing is contacted.
public enum PlaybookListing {
    public struct Parts: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let hosts = Parts(rawValue: 1)
        public static let tasks = Parts(rawValue: 2)
        public static let tags = Parts(rawValue: 4)
    }

    /// `hosts[i]`: the hosts play `i` runs on (`Provisioner.plays(of:targets:)`).
    public static func lines(of book: Playbook, path: String, hosts: [[String]], parts: Parts,
                             tags: [String] = [], skipTags: [String] = []) -> [String] {
        var lines = ["", "playbook: \(path)"]
        for (i, play) in book.plays.enumerated() {
            lines.append("")
            lines.append("  play #\(i + 1) (\(play.hosts)): \(play.name ?? play.hosts)\tTAGS: []")
            if parts.contains(.hosts) {
                let names = i < hosts.count ? hosts[i] : []
                lines.append("    pattern: ['\(play.hosts)']")
                lines.append("    hosts (\(names.count)):")
                lines += names.map { "      \($0)" }
            }
            let selected = play.tasks.filter { $0.isSelected(tags: tags, skipTags: skipTags) }
            if parts.contains(.tasks) {
                lines.append("    tasks:")
                lines += selected.map { "      \($0.displayName)\tTAGS: [\($0.tags.joined(separator: ", "))]" }
            }
            if parts.contains(.tags) {
                let all = Set(selected.flatMap(\.tags)).sorted()
                lines.append("      TASK TAGS: [\(all.joined(separator: ", "))]")
            }
        }
        return lines
    }
}
