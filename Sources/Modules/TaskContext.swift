import Foundation
import Playbook
import ProvisionCore
import Transport

/// Everything a module may use while it probes, decides and applies on one host.
public struct TaskContext: Sendable {
    public var hostName: String
    public var connection: any Connection
    public var facts: Facts
    /// Run privileged commands through `sudo -n`.
    public var become: Bool
    public var checkMode: Bool
    public var diffMode: Bool
    /// All variables visible to the task (after precedence), incl. facts and `item`.
    public var variables: [String: Value]
    /// Directory relative `src` paths resolve against (the playbook's).
    public var baseDirectory: String
    /// The directory of the task's role, searched first for templates and files (`ControllerFiles`).
    public var roleDirectory: String? = nil
    /// Renders template source text with `variables` (Jinja subset + filters); the result
    /// says whether a secret went into it.
    public var renderTemplate: @Sendable (_ source: String, _ origin: String) throws -> Rendered
    /// The connection to another host of the play (e.g. `via: web-1` for a tunnel).
    public var connectionTo: @Sendable (_ host: String) throws -> any Connection
    /// Hosts of the current play, in inventory order.
    public var playHosts: [String]
    /// A one-line warning shown to the user (masked for secrets by the reporter).
    public var warn: @Sendable (String) -> Void

    public init(
        hostName: String, connection: any Connection, facts: Facts, become: Bool, checkMode: Bool,
        diffMode: Bool, variables: [String: Value], baseDirectory: String,
        renderTemplate: @escaping @Sendable (String, String) throws -> Rendered,
        connectionTo: @escaping @Sendable (String) throws -> any Connection,
        playHosts: [String], warn: @escaping @Sendable (String) -> Void
    ) {
        self.hostName = hostName
        self.connection = connection
        self.facts = facts
        self.become = become
        self.checkMode = checkMode
        self.diffMode = diffMode
        self.variables = variables
        self.baseDirectory = baseDirectory
        self.renderTemplate = renderTemplate
        self.connectionTo = connectionTo
        self.playHosts = playHosts
        self.warn = warn
    }

    /// Where `src` (a template or a file to copy) is on the controller, or nil; `tried` lists
    /// the places looked at.
    public func controllerFile(_ src: String, kind: ControllerFiles.Kind) -> (path: String?, tried: [String]) {
        let tried = ControllerFiles.candidates(src, kind: kind, baseDirectory: baseDirectory, roleDirectory: roleDirectory)
        return (tried.first { FileManager.default.fileExists(atPath: $0) }, tried)
    }

    /// Login shells of unprivileged users often lack the sbin directories.
    public static func withSystemPath(_ command: String) -> String {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH\n" + command
    }

    /// Runs a command on the host with the task's privileges; throws on non-zero exit
    /// with the command's own error output.
    @discardableResult
    public func run(_ command: String, stdin: Data = Data(), what: String) throws -> CommandResult {
        let result = try connection.run(Self.withSystemPath(command), stdin: stdin, become: become, timeout: nil, onOutput: nil)
        guard result.succeeded else {
            let detail = (result.stderrText.isEmpty ? result.stdoutText : result.stderrText)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let lastLines = detail.split(separator: "\n").suffix(3).joined(separator: " | ")
            throw ModuleError("\(what) failed (exit \(result.exitStatus))" + (lastLines.isEmpty ? "" : ": \(lastLines)"),
                              registered: ["rc": .int(Int(result.exitStatus)), "stdout": .string(result.stdoutText), "stderr": .string(result.stderrText)])
        }
        return result
    }
}
