import Foundation
import ProvisionCore

/// What ansible-playbook's `-b` and `--start-at-task` do to a loaded playbook, as values:
/// the run and the listings (`--list-tasks`) see the same plays.
extension Playbook {
    /// `-b`: every play that does not say `become:` runs its tasks as root (a play's or a
    /// task's own `become: false` still wins, as in Ansible).
    public func becomingByDefault() -> Playbook {
        var book = self
        for i in book.plays.indices where !book.plays[i].becomeWritten { book.plays[i].become = true }
        return book
    }

    /// `--start-at-task NAME`: the plays before the one with the first task so named keep no
    /// tasks (their facts are still gathered), that play starts at it, later plays are whole.
    /// A name matches a task's name, or its `role : name`, exactly or as a shell pattern.
    public func startingAt(task name: String) throws -> Playbook {
        for (p, play) in plays.enumerated() {
            guard let start = play.tasks.firstIndex(where: { Self.matches(name, $0) }) else { continue }
            var book = self
            for i in 0..<p { book.plays[i].tasks = [] }
            book.plays[p].tasks = Array(play.tasks[start...])
            return book
        }
        let names = plays.flatMap(\.tasks).compactMap(\.name)
        throw InputError("--start-at-task '\(name)': no task has that name",
                         hint: Suggestions.hint(for: name, in: names) ?? "give a task's name as the playbook writes it (--list-tasks shows them)")
    }

    static func matches(_ pattern: String, _ task: PlaybookTask) -> Bool {
        guard let name = task.name else { return false }
        return [name, task.displayName].contains { $0 == pattern || fnmatch(pattern, $0, 0) == 0 }
    }
}
