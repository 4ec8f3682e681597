import Foundation
import ProvisionCore

/// A connection whose commands run with more environment variables (a task's or play's
/// `environment:`): each script starts with `export NAME='value'` lines, so the values go
/// to the host on stdin with the script (`ScriptOnStdin`), never in a process's arguments,
/// and apply after `sudo` too. Files and tunnels go to the connection it wraps.
public final class EnvironmentConnection: Connection, @unchecked Sendable {
    let base: any Connection
    let exports: String

    /// `environment`: names as a shell accepts them (the playbook loader checks them).
    public init(_ base: any Connection, environment: [(name: String, value: String)]) {
        self.base = base
        exports = environment.map { "export \($0.name)=\(Shell.quote($0.value))\n" }.joined()
    }

    public var hostName: String { base.hostName }

    public func run(_ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
                    onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?) throws -> CommandResult {
        try base.run(exports + command, stdin: stdin, become: become, timeout: timeout, onOutput: onOutput)
    }

    public func put(_ data: Data, to path: String, attributes: FileAttributes, become: Bool) throws {
        try base.put(data, to: path, attributes: attributes, become: become)
    }

    public func put(file localPath: String, to path: String, attributes: FileAttributes, become: Bool) throws {
        try base.put(file: localPath, to: path, attributes: attributes, become: become)
    }

    public func openTunnel(toHost host: String, port: Int) throws -> any Tunnel { try base.openTunnel(toHost: host, port: port) }

    /// The wrapped connection is the host's, shared by every task: not closed here.
    public func close() {}
}
