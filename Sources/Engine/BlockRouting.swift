import Foundation
import Playbook

/// A block where a task failed on a host: its rescue runs, or (none, or the rescue failed
/// too) the failure goes on to the block around it once this block's `always` has run.
enum FailedBlock: Equatable {
    case rescuing
    case unrescued
}

/// Which tasks of a flattened task list run on a host after failures inside `block:`s, as in
/// Ansible: the rest of a failed block's body is skipped, its `rescue` runs only after a
/// failure in the body, its `always` runs either way. Pure, so it is tested on its own.
enum BlockRouting {
    static func blocksWithRescue(_ tasks: [PlaybookTask]) -> Set<Int> {
        Set(tasks.flatMap { $0.blocks.filter { $0.section == .rescue }.map(\.id) })
    }

    static func runs(_ task: PlaybookTask, failedBlocks: [Int: FailedBlock]) -> Bool {
        task.blocks.allSatisfy { membership in
            switch membership.section {
            case .block: return failedBlocks[membership.id] == nil
            case .rescue: return failedBlocks[membership.id] == .rescuing
            case .always: return true
            }
        }
    }

    /// The blocks whose last task is `tasks[index]`, innermost first, each with its depth
    /// in the task's `blocks` (the blocks around it are `blocks[..<depth]`).
    static func blocksEnding(after index: Int, in tasks: [PlaybookTask]) -> [(depth: Int, block: BlockMembership)] {
        let next = index + 1 < tasks.count ? Set(tasks[index + 1].blocks.map(\.id)) : []
        return tasks[index].blocks.enumerated().reversed()
            .filter { !next.contains($0.element.id) }
            .map { (depth: $0.offset, block: $0.element) }
    }
}
