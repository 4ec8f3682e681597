import Foundation
import ProvisionCore

/// Runs on the controller itself (pull mode on an instance, and `hosts: localhost`).
/// Same contract as an SSH connection: the script on stdin (`ScriptOnStdin`), `sudo -n` for
/// become, atomic puts.
public final class LocalConnection: CommandHolding, @unchecked Sendable {
    // Immutable after init; Process handles its own threading.
    public let hostName: String

    public init(hostName: String = "localhost") {
        self.hostName = hostName
    }

    public func run(
        _ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
        onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?
    ) throws -> CommandResult {
        let privileged = become && getuid() != 0
        let arguments = ScriptOnStdin.arguments(shell: "/bin/sh", sudo: "/usr/bin/sudo", become: privileged)
        do {
            return try ProcessRunner.run(arguments[0], Array(arguments.dropFirst()),
                                         input: .data(ScriptOnStdin.stdin(script: command, then: stdin)),
                                         timeout: timeout, onOutput: onOutput)
        } catch is ProcessRunner.TimedOut {
            throw ConnectionError.timeout(host: hostName, port: 0, seconds: timeout ?? 0)
        }
    }

    public func put(_ data: Data, to path: String, attributes: FileAttributes, become: Bool) throws {
        let script = SafeFileWrite.script(path: path, attributes: attributes, source: .stdin)
        let result = try run(script, stdin: data, become: become, timeout: nil, onOutput: nil)
        guard result.succeeded else {
            if let refused = SafeFileWrite.validationFailure(path: path, attributes: attributes, result: result) { throw refused }
            throw ModuleError("writing \(path) failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    public func put(file localPath: String, to path: String, attributes: FileAttributes, become: Bool) throws {
        let script = SafeFileWrite.script(path: path, attributes: attributes, source: .file(localPath))
        let result = try run(script, stdin: Data(), become: become, timeout: nil, onOutput: nil)
        guard result.succeeded else {
            if let refused = SafeFileWrite.validationFailure(path: path, attributes: attributes, result: result) { throw refused }
            throw ModuleError("writing \(path) failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    /// Every local connection is this machine, whatever its host name.
    public var machineIdentity: String { "local" }

    public func hold(_ script: String, input: Data, become: Bool, readyPrefix: String, timeout: TimeInterval?) throws -> HoldOutcome {
        let privileged = become && getuid() != 0
        let arguments = ScriptOnStdin.arguments(shell: "/bin/sh", sudo: "/usr/bin/sudo", become: privileged)
        do {
            return try ProcessRunner.hold(arguments[0], Array(arguments.dropFirst()), input: ScriptOnStdin.stdin(script: script, then: input),
                                          readyPrefix: readyPrefix, timeout: timeout).checkingSudo(host: hostName, become: privileged)
        } catch is ProcessRunner.TimedOut {
            throw ConnectionError.timeout(host: hostName, port: 0, seconds: timeout ?? 0)
        }
    }

    public func openTunnel(toHost host: String, port: Int) throws -> any Tunnel {
        throw ConnectionError.protocolError(host: hostName, message: "a local connection has no tunnels; connect to \(host):\(port) directly")
    }

    public func close() {}
}
