import Foundation

/// What a command returned: both streams kept apart, and the exit status.
public struct CommandResult: Sendable, Equatable {
    public var stdout: Data
    public var stderr: Data
    public var exitStatus: Int32

    public init(stdout: Data, stderr: Data, exitStatus: Int32) {
        self.stdout = stdout
        self.stderr = stderr
        self.exitStatus = exitStatus
    }

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    public var succeeded: Bool { exitStatus == 0 }
}

public enum OutputStreamKind: Sendable { case stdout, stderr }

/// Where a file put on a host ends up, who may read it, and what it must pass first.
public struct FileAttributes: Sendable, Equatable {
    /// Permission bits, e.g. 0o640.
    public var mode: Int
    /// Owner and group to set (needs `become` unless they are the login user's).
    public var owner: String?
    public var group: String?
    /// A shell command the new file must pass before it replaces the destination (Ansible's
    /// `validate`); `%s` becomes `/dev/fd/8`, an open descriptor of the new file in the
    /// writer's private directory, so no one can swap what is checked. A refusal throws
    /// `FileValidationFailed`.
    public var validation: String?

    public init(mode: Int = 0o644, owner: String? = nil, group: String? = nil, validation: String? = nil) {
        self.mode = mode
        self.owner = owner
        self.group = group
        self.validation = validation
    }
}

/// A forwarded port: a listener on 127.0.0.1:`localPort` on the controller whose
/// connections reach `remoteHost:remotePort` as seen from the SSH host.
public protocol Tunnel: AnyObject, Sendable {
    var localPort: Int { get }
    func close()
}

/// One authenticated session to one host, reused for every command and transfer.
///
/// Calls are synchronous and may block; implementations serialise them internally,
/// so a connection may be shared between threads. Never call from Swift
/// concurrency's cooperative pool.
public protocol Connection: AnyObject, Sendable {
    /// The inventory name of the host this connection reaches.
    var hostName: String { get }

    /// Runs `command` through the login shell of the remote user, feeding `stdin`.
    /// `become` wraps it in `sudo -n`. `onOutput`, when given, receives output as it
    /// arrives (it is still collected in the result).
    func run(
        _ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
        onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?
    ) throws -> CommandResult

    /// Writes `data` to `path` atomically (temporary file in the same directory, mode and
    /// owner set, then renamed into place).
    func put(_ data: Data, to path: String, attributes: FileAttributes, become: Bool) throws

    /// Same as `put(_:to:)` for a local file, streamed without loading it whole.
    func put(file localPath: String, to path: String, attributes: FileAttributes, become: Bool) throws

    /// Opens a tunnel to `host:port` as seen from the remote host.
    func openTunnel(toHost host: String, port: Int) throws -> any Tunnel

    /// Ends the session; further calls throw.
    func close()
}

extension Connection {
    public func run(_ command: String, stdin: Data = Data(), become: Bool = false) throws -> CommandResult {
        try run(command, stdin: stdin, become: become, timeout: nil, onOutput: nil)
    }
}
