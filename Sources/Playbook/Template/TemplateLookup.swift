import Foundation
import ProvisionCore

/// `lookup('env', NAME…)` and `lookup('file', PATH…)`, read on the controller as in Ansible
/// (`query`/`q` give the list). An environment variable whose name is a secret by name
/// (`SecretNames`: `*password*`, `*key*`, …) comes back as a secret, masked in all output.
/// A relative file is looked for in the role's `files/`, the role, the playbook's `files/`
/// and beside the playbook; its last newline is dropped. Other lookups are refused by name.
enum TemplateLookup {
    static let supported = ["env", "file"]
    /// The functions that call a lookup: `lookup` (one value, or the values joined by `,`),
    /// `query` and `q` (the list).
    static let functionNames: Set<String> = ["lookup", "query", "q"]

    static func values(_ args: [Value], playbookDirectory: String?, roleDirectory: String?) throws -> [Value] {
        guard let kind = args.first?.text else { throw EvaluationFailure(message: "lookup() needs a lookup name, e.g. lookup('env', 'HOME')") }
        let terms = args.dropFirst().map(\.text)
        switch kind {
        case "env":
            return terms.map { name in
                let value = ProcessInfo.processInfo.environment[name] ?? ""
                return SecretNames.shared.isSecret(name) ? .secret(Secret(value)) : .string(value)
            }
        case "file":
            return try terms.map { term in
                // Without the playbook's directory (validate and the checks before a run know
                // it only on a host), a relative file is as undefined as playbook_dir itself.
                if !term.hasPrefix("/") && playbookDirectory == nil { throw UndefinedValue(path: "playbook_dir", candidates: []) }
                let candidates = ControllerFiles.candidates(term, kind: .file, baseDirectory: playbookDirectory ?? "/",
                                                            roleDirectory: roleDirectory)
                guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }),
                      let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw EvaluationFailure(message: "lookup('file'): '\(term)' not found (looked in \(candidates.joined(separator: ", ")))")
                }
                return .string(text.hasSuffix("\n") ? String(text.dropLast()) : text)
            }
        default:
            throw EvaluationFailure(message: "lookup('\(kind)') is not supported (supported: \(supported.joined(separator: ", ")))")
        }
    }
}
