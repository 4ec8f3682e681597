import Foundation
import ProvisionCore

/// `command` and `shell`: run something, unless `creates` exists or `removes` is gone.
/// `command` runs the words it is given without a shell (each word quoted); `shell` hands
/// its text to `sh`. Always "changed" when they run, as in Ansible; check mode runs nothing
/// and counts an unguarded one as an (assumed) change, since the real run would report one.
public struct CommandModule: Module {
    public static let commandSpec = ModuleSpec(
        name: "command", parameters: parameters, requiredOneOf: [["cmd", "argv"]], freeFormParameter: "cmd", make: { try CommandModule($0, useShell: false) })
    public static let shellSpec = ModuleSpec(
        name: "shell", parameters: parameters, requiredOneOf: [["cmd"]], freeFormParameter: "cmd", make: { try CommandModule($0, useShell: true) })

    static let parameters = [
        ParameterSpec("cmd", aliases: ["_raw_params"]),
        ParameterSpec("argv", .list),
        ParameterSpec("creates"),
        ParameterSpec("removes"),
        ParameterSpec("chdir"),
        ParameterSpec("stdin"),
        ParameterSpec("executable"),
    ]

    let commandLine: String
    let creates: String?
    let removes: String?
    let chdir: String?
    let stdin: String?

    init(_ args: ModuleArguments, useShell: Bool) throws {
        if useShell {
            let text = try args.requiredString("cmd")
            if let executable = try args.string("executable") {
                commandLine = Shell.join([executable, "-c", text])
            } else {
                commandLine = text
            }
        } else if let argv = try args.list("argv"), args.values["argv"]?.listValue != nil {
            commandLine = Shell.join(argv)
        } else {
            let text = try args.requiredString("cmd")
            commandLine = Shell.join(try ShellWords.split(text, at: args.locations["cmd"] ?? args.taskLocation))
        }
        creates = try args.string("creates")
        removes = try args.string("removes")
        chdir = try args.string("chdir")
        stdin = try args.string("stdin")
    }

    public func probe(_ context: TaskContext) throws -> String? {
        var lines: [String] = []
        if let creates { lines.append("if [ -e \(Shell.quote(creates)) ]; then echo creates=yes; fi") }
        if let removes { lines.append("if [ ! -e \(Shell.quote(removes)) ]; then echo removes=gone; fi") }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Void> {
        let output = probe?.output ?? ""
        if let creates, output.contains("creates=yes") { return .ok("\(creates) exists") }
        if let removes, output.contains("removes=gone") { return .ok("\(removes) does not exist") }
        if context.checkMode && creates == nil && removes == nil {
            return .change(summary: "would run (not run in check mode): without creates or removes a command runs every time and reports a change",
                           plan: (), assumed: true)
        }
        return .change(summary: "run command", plan: ())
    }

    public func apply(_ plan: Void, _ context: TaskContext) throws -> TaskOutcome {
        let script = (chdir.map { "cd -- \(Shell.quote($0)) || exit 1\n" } ?? "") + commandLine
        let result = try context.connection.run(TaskContext.withSystemPath(script), stdin: Data((stdin ?? "").utf8),
                                                become: context.become, timeout: nil, onOutput: nil)
        let out = result.stdoutText.trimmingCharacters(in: .newlines)
        let err = result.stderrText.trimmingCharacters(in: .newlines)
        let registered: [String: Value] = [
            "changed": true,  // it ran: also when it failed (what `failed_when: false` keeps)
            "rc": .int(Int(result.exitStatus)),
            "stdout": .string(out), "stderr": .string(err),
            "stdout_lines": .list(out.split(separator: "\n").map { .string(String($0)) }),
        ]
        guard result.succeeded else {
            let detail = (err.isEmpty ? out : err).split(separator: "\n").suffix(3).joined(separator: " | ")
            throw ModuleError("command failed (exit \(result.exitStatus))" + (detail.isEmpty ? "" : ": \(detail)"), registered: registered)
        }
        return TaskOutcome(changed: true, message: out.split(separator: "\n").last.map(String.init), registered: registered)
    }
}

/// Splits a command line into words as a POSIX shell would (quotes and backslashes),
/// without expanding anything: `command` never gives its text to a shell.
public enum ShellWords {
    public static func split(_ text: String, at location: SourceLocation? = nil) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for ch in text {
            if escaped {
                current.append(ch); escaped = false; inWord = true
                continue
            }
            switch (quote, ch) {
            case (nil, "\\"), ("\"", "\\"): escaped = true
            case (nil, "'"), (nil, "\""): quote = ch; inWord = true
            case ("'", "'"), ("\"", "\""): quote = nil
            case (nil, " "), (nil, "\t"), (nil, "\n"):
                if inWord { words.append(current); current = ""; inWord = false }
            default: current.append(ch); inWord = true
            }
        }
        if quote != nil { throw InputError("unterminated quote in command: \(text)", at: location) }
        if inWord { words.append(current) }
        return words
    }
}
