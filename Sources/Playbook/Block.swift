import Foundation
import ProvisionCore

/// Where a task sits in a `block:` (outermost first in `PlaybookTask.blocks`). Blocks are
/// flattened when the playbook is loaded, like imports: their `when`, `tags`, `vars` and
/// `become` go onto each task, and the membership tells the engine which tasks are the
/// block's body, its `rescue` (run only after a failure in the body) and its `always`.
public struct BlockMembership: Sendable, Equatable {
    public enum Section: String, Sendable { case block, rescue, always }
    /// Unique within the play.
    public var id: Int
    public var section: Section

    public init(id: Int, section: Section) {
        self.id = id
        self.section = section
    }
}

extension PlaybookLoader.Loader {
    /// A `block:` item (with `rescue:` / `always:` and the inclusion keywords), flattened;
    /// nil for any other task.
    func blockTasks(_ node: LocatedValue, key: String, handlers: Bool, roles: RoleCollector,
                    directory: String?) throws -> [PlaybookTask]? {
        guard let entries = node.entries, let body = entries.first(where: { $0.key == "block" }) else { return nil }
        let sections = ["block", "rescue", "always"]
        let keywords = try inclusionKeywords(entries.filter { !sections.contains($0.key) }, besides: "block", keyword: "block")
        roles.blockCount += 1
        let id = roles.blockCount
        var result: [PlaybookTask] = []
        for section in BlockMembership.Section.allCases {
            guard let list = entries.first(where: { $0.key == section.rawValue }) else { continue }
            if section != .block, body.value.items?.isEmpty ?? true {
                throw InputError("\(section.rawValue) without tasks in block", at: list.keyLocation,
                                 hint: "put the tasks that may fail under block:")
            }
            let tasks = try self.tasks(list.value, key: section.rawValue, handlers: handlers, roles: roles, directory: directory)
            result += tasks.map { task in
                var task = task
                task.blocks.insert(BlockMembership(id: id, section: section), at: 0)
                return keywords.apply(to: task, varsOverTask: false)
            }
        }
        return result
    }
}

extension BlockMembership.Section: CaseIterable {}
