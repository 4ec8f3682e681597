import Foundation
import ProvisionCore

/// The layers of variables a task on one host sees, in the documented order (README,
/// "Variables"; `VariablePrecedence` ranks them). One builder for the run and the preflight,
/// so the two can never disagree on what wins.
public struct HostVariableLayers: Sendable {
    /// `group_vars/all.yml` beside the playbook: below every inventory variable.
    public var playbookDefaults: [String: Value] = [:]
    public var inventory: [String: Value] = [:]
    /// Names among `inventory` that are data from the cloud API: never templated.
    public var inventoryData: Set<String> = []
    public var facts: [String: Value] = [:]
    /// Play `vars`, then `vars_files`.
    public var play: [String: Value] = [:]
    public var registered: [String: Value] = [:]
    /// The secrets file and `PROVISION_DB_*`: just below `-e`.
    public var secrets: [String: Value] = [:]
    public var extra: [String: Value] = [:]
    /// The engine's magic variables (`inventory_hostname_short`, `groups`, …): above all.
    public var magic: [String: Value] = [:]

    public init() {}

    /// Facts, registered results and secrets are data: never read as templates.
    public var scope: VariableScope {
        var scope = VariableScope()
        scope.add(playbookDefaults, at: .playbookDefaults)
        scope.add(inventory.filter { !inventoryData.contains($0.key) }, at: .host)
        scope.add(inventory.filter { inventoryData.contains($0.key) }, at: .host, templated: false)
        scope.add(facts, at: .facts)
        scope.add(play, at: .play)
        scope.add(registered, at: .registered)
        scope.add(secrets, at: .secrets, templated: false)
        scope.add(extra, at: .extra)
        scope.add(magic, at: .magic, templated: false)
        return scope
    }
}

extension PlaybookTask {
    /// `--tags` / `--skip-tags`: skip wins; `always` runs unless skipped by name.
    public func isSelected(tags: [String], skipTags: [String]) -> Bool {
        if self.tags.contains(where: skipTags.contains) { return false }
        if tags.isEmpty || self.tags.contains("always") { return true }
        return self.tags.contains(where: tags.contains)
    }
}

extension Play {
    /// The variables of `vars_files`, later files winning. A templated name is known only on a
    /// host: `skippingTemplated` leaves it out (the preflight), else it is an error to meet one.
    public func varsFileValues(skippingTemplated: Bool = false) throws -> [String: Value] {
        var vars: [String: Value] = [:]
        for file in varsFiles {
            if skippingTemplated, TemplateEngine.isTemplate(file) { continue }
            let path = file.hasPrefix("/") ? file : baseDirectory + "/" + file
            vars.merge(try YAMLDocument.loadVariables(path: path, notAMapping: "vars file must be a mapping of variables")) { $1 }
        }
        return vars
    }
}
