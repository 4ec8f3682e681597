import Foundation
import ProvisionCore

/// `lookup('env', NAME…)`, `lookup('file', PATH…)` and `lookup('template', PATH…)`, read on
/// the controller as in Ansible (`query`/`q` give the list). An environment variable whose
/// name is a secret by name (`SecretNames`: `*password*`, `*key*`, …) comes back as a secret,
/// masked in all output. A relative file is looked for in the role's `files/`, the role, the
/// playbook's `files/` and beside the playbook; its last newline is dropped. A template is
/// found as `template: src=` finds it (`templates/`) and rendered with the current variables
/// (a secret in it makes the result a secret). `pipe` and `password` are refused, saying why;
/// other lookups are refused by name.
enum TemplateLookup {
    static let supported = ["env", "file", "template"]
    /// Lookups refused on purpose, with the reason and what to do instead.
    static let refused: [String: String] = [
        "pipe": "lookup('pipe') is refused: it would run a shell command on the controller while a template is rendered (also by validate and the checks before a run), outside any task, check mode or no_log",
        "password": "lookup('password') is refused: it writes password files beside the playbook; provision keeps passwords in its secrets file",
    ]
    static let refusalHints: [String: String] = [
        "pipe": "run the command in a task (command: or shell:) with register:, and use its stdout; or pass the value with -e",
        "password": "create the secrets file with 'provision secrets init' and read the password as a variable, e.g. {{ db_password }}",
    ]
    /// How deep `lookup('template')` may nest (a template that looks itself up stops here).
    static let maxTemplateNesting = 16
    @TaskLocal static var templateNesting = 0
    /// The functions that call a lookup: `lookup` (one value, or the values joined by `,`),
    /// `query` and `q` (the list).
    static let functionNames: Set<String> = ["lookup", "query", "q"]

    static func values(_ args: [Value], playbookDirectory: String?, roleDirectory: String?,
                       scope: VariableScope = VariableScope()) throws -> [Value] {
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
        case "template":
            return try terms.map { term in
                if !term.hasPrefix("/") && playbookDirectory == nil { throw UndefinedValue(path: "playbook_dir", candidates: []) }
                let candidates = ControllerFiles.candidates(term, kind: .template, baseDirectory: playbookDirectory ?? "/",
                                                            roleDirectory: roleDirectory)
                guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }),
                      let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw EvaluationFailure(message: "lookup('template'): '\(term)' not found (looked in \(candidates.joined(separator: ", ")))")
                }
                guard templateNesting < maxTemplateNesting else {
                    throw EvaluationFailure(message: "lookup('template'): '\(term)' nests more than \(maxTemplateNesting) templates deep",
                                            hint: "a template that looks itself up never ends; look up a different file")
                }
                let rendered = try $templateNesting.withValue(templateNesting + 1) {
                    try TemplateEngine.render(text, variables: scope, origin: SourceLocation(file: path, line: 1))
                }
                return rendered.value
            }
        default:
            if let reason = refused[kind] { throw EvaluationFailure(message: reason, hint: refusalHints[kind]) }
            throw EvaluationFailure(message: "lookup('\(kind)') is not supported (supported: \(supported.joined(separator: ", ")))")
        }
    }
}
