import Foundation

/// A regular file whose whole content a task decides (copy, template, lineinfile): compare
/// digests, write atomically with owner and mode set before the rename, validate the new
/// content before it replaces the old, and show a diff.
public struct ManagedFile: Sendable {
    let path: String
    let attributes: WantedAttributes
    /// e.g. `php -l %s`: run on the new file before it replaces the old one.
    let validate: String?

    public struct Plan: Sendable {
        var content: Data?
        var attributesOnly: [String]
    }

    func probe(withContent: Bool = false) -> String {
        FileState.probe(path, withDigest: true, withContent: withContent)
    }

    /// Decides from the probe: `content` is what the file must hold.
    func decide(_ probe: ProbeResult?, content: Data, context: TaskContext, sensitive: Bool) throws -> Decision<Plan> {
        let state = FileState(parsing: probe?.output ?? "")
        if state.kind == .directory || state.kind == .other {
            throw ModuleError("\(path) exists and is not a regular file")
        }
        let contentChanged = state.sha256 != SHA256.hex(content)
        let attributeChanges = state.exists ? attributes.differences(from: state) : []
        guard contentChanged || !attributeChanges.isEmpty else { return .ok() }
        var summary: String
        if !state.exists {
            summary = "create \(path)"
        } else if contentChanged {
            summary = "update \(path)"
        } else {
            summary = "\(path): " + attributeChanges.joined(separator: ", ")
        }
        if contentChanged, state.exists, !attributeChanges.isEmpty { summary += " (" + attributeChanges.joined(separator: ", ") + ")" }
        var diff: FileDiff?
        if context.diffMode, contentChanged {
            let after = sensitive ? "(content hidden: it holds secrets)" : String(decoding: content, as: UTF8.self)
            var before: String? = state.content
            if before == nil, state.exists, !sensitive {
                before = (try? context.connection.run("cat \(Shell.quote(path))", stdin: Data(), become: context.become,
                                                      timeout: 30, onOutput: nil))?.stdoutText
            }
            diff = FileDiff(path: path, before: sensitive && state.exists ? "(content hidden)" : before, after: after)
        }
        return .change(summary: summary, diff: diff, plan: Plan(content: contentChanged ? content : nil, attributesOnly: attributeChanges))
    }

    func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        guard let content = plan.content else {
            try context.run(attributes.commands(for: path).joined(separator: " && "), what: "setting attributes of \(path)")
            return TaskOutcome(changed: true)
        }
        // Keep what the task leaves unsaid as it was, or the defaults for a new file.
        let final = FileAttributes(mode: attributes.mode ?? 0o644, owner: attributes.owner, group: attributes.group)
        guard let validate else {
            try context.connection.put(content, to: path, attributes: final, become: context.become)
            return TaskOutcome(changed: true)
        }
        // Validated: the new content goes to a temporary name beside the file (same owner
        // and mode), is checked there, and only then renamed over the old one.
        let directory = (path as NSString).deletingLastPathComponent
        let candidate = directory + "/.provision-validate-\(UInt32.random(in: 0...UInt32.max))-" + (path as NSString).lastPathComponent
        try context.connection.put(content, to: candidate, attributes: final, become: context.become)
        let check = validate.replacingOccurrences(of: "%s", with: Shell.quote(candidate))
        let result = try context.connection.run(TaskContext.withSystemPath("\(check) && mv -f \(Shell.quote(candidate)) \(Shell.quote(path))"),
                                                stdin: Data(), become: context.become, timeout: 120, onOutput: nil)
        guard result.succeeded else {
            _ = try? context.connection.run("rm -f \(Shell.quote(candidate))", stdin: Data(), become: context.become, timeout: 30, onOutput: nil)
            let why = (result.stdoutText + result.stderrText).trimmingCharacters(in: .whitespacesAndNewlines)
                .replacingOccurrences(of: candidate, with: path)
            throw ModuleError("validation of \(path) failed, file left unchanged: \(why.split(separator: "\n").prefix(3).joined(separator: " | "))")
        }
        return TaskOutcome(changed: true)
    }
}
