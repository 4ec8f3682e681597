import Foundation
import ProvisionCore

/// `module_defaults:` on a play, a block or a task: arguments a module gets where its task
/// gives none (Ansible's order: the task's own arguments, then its own module_defaults, then
/// the innermost block's, then the play's).
/// Applied when the playbook is loaded, with the defaults' own locations, so validate
/// checks them like the task's and an error points at the line that set them.
public struct ModuleDefaults: Sendable {
    /// By canonical module name (`ansible.builtin.file` and `file` are one).
    var arguments: [String: [String: (Value, SourceLocation)]] = [:]

    var isEmpty: Bool { arguments.isEmpty }

    func apply(to task: PlaybookTask) -> PlaybookTask {
        guard let defaults = arguments[task.module] else { return task }
        var task = task
        for (name, (value, location)) in defaults where task.arguments[name] == nil {
            task.arguments[name] = value
            task.argumentLocations[name] = location
        }
        return task
    }
}

extension PlaybookLoader.Loader {
    /// `module_defaults: {MODULE: {PARAM: VALUE}}`; action groups (`group/…`) are refused.
    func moduleDefaults(_ node: LocatedValue) throws -> ModuleDefaults {
        guard let entries = node.entries else {
            throw InputError("module_defaults must be a mapping of module names to their default arguments", at: node.location,
                             hint: "e.g. module_defaults: {ansible.builtin.file: {owner: root}}")
        }
        var defaults = ModuleDefaults()
        for e in entries {
            if e.key.hasPrefix("group/") {
                throw InputError("module_defaults for an action group ('\(e.key)') is not supported yet", at: e.keyLocation,
                                 hint: "name each module instead")
            }
            guard spec(named: e.key) != nil else {
                throw InputError("module_defaults: unknown module '\(e.key)'", at: e.keyLocation,
                                 hint: Suggestions.hint(for: ModuleVocabulary.canonicalName(e.key), in: moduleNames))
            }
            guard let parameters = e.value.entries else {
                throw InputError("module_defaults for \(e.key) must be a mapping of arguments", at: e.value.location)
            }
            var arguments: [String: (Value, SourceLocation)] = [:]
            for p in parameters { arguments[p.key] = (p.value.value, p.keyLocation) }
            defaults.arguments[ModuleVocabulary.canonicalName(e.key), default: [:]].merge(arguments) { $1 }
        }
        return defaults
    }
}
