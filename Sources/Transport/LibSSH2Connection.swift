import CLibSSH2
import Foundation
import ProvisionCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libssh2, initialised once per process before any session exists.
enum LibSSH2Runtime {
    static let ready: Bool = {
        _ = ignoreSIGPIPE
        return libssh2_init(0) == 0
    }()

    /// Writes to a closed pipe or socket (ssh's stdin, a tunnel client) must become errors, not kill the process.
    static let ignoreSIGPIPE: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()
}

/// The default transport: one libssh2 session per host, driven by one dedicated I/O thread.
///
/// Public methods are synchronous: they hand a job to the I/O thread and wait for it. The thread
/// runs libssh2 non-blocking; every wait (`poll`) also pumps open tunnels, so a tunnel keeps
/// flowing while a command or an upload runs on the same session. `onOutput` callbacks run on
/// the I/O thread: they must not call back into the same connection.
public final class LibSSH2Connection: CommandHolding, @unchecked Sendable {
    // @unchecked Sendable: the only state is `loop`, which is itself thread-safe (see LibSSH2Loop).
    public let hostName: String
    public let endpoint: SSHEndpoint
    let loop: LibSSH2Loop

    /// Connects, checks the host key and authenticates, or throws a `ConnectionError`.
    public convenience init(endpoint: SSHEndpoint) throws {
        do {
            try self.init(connecting: endpoint)
        } catch let failure as LibSSH2AuthFailure {
            throw failure.error
        }
    }

    /// As `init(endpoint:)`, but an authentication failure comes as `LibSSH2AuthFailure` (the fallback needs its details).
    init(connecting endpoint: SSHEndpoint) throws {
        guard LibSSH2Runtime.ready else {
            throw ConnectionError.protocolError(host: endpoint.name, message: "libssh2_init failed")
        }
        self.hostName = endpoint.name
        self.endpoint = endpoint
        self.loop = LibSSH2Loop(endpoint: endpoint)
        do {
            try loop.perform { try $0.connect() }
        } catch {
            loop.shutdown()
            throw error
        }
    }

    deinit { loop.shutdown() }

    public func run(
        _ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
        onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?
    ) throws -> CommandResult {
        try loop.perform { try $0.run(command, stdin: stdin, become: become, timeout: timeout, onOutput: onOutput) }
    }

    public func put(_ data: Data, to path: String, attributes: FileAttributes, become: Bool) throws {
        try loop.perform { try $0.put(source: DataSource(data), to: path, attributes: attributes, become: become) }
    }

    public func put(file localPath: String, to path: String, attributes: FileAttributes, become: Bool) throws {
        guard let handle = FileHandle(forReadingAtPath: localPath) else {
            throw RemoteFileError(host: hostName, path: path, message: "cannot read local file \(localPath)")
        }
        defer { try? handle.close() }
        try loop.perform { try $0.put(source: FileSource(handle), to: path, attributes: attributes, become: become) }
    }

    public var machineIdentity: String { "ssh://\(loop.endpoint.address):\(loop.endpoint.port)" }

    public func hold(_ script: String, input: Data, become: Bool, readyPrefix: String, timeout: TimeInterval?) throws -> HoldOutcome {
        try loop.perform { try $0.hold(script, input: input, become: become, readyPrefix: readyPrefix, timeout: timeout) }
            .checkingSudo(host: hostName, become: become)
    }

    public func openTunnel(toHost host: String, port: Int) throws -> any Tunnel {
        try loop.perform { try $0.openTunnel(host: host, port: port) }
    }

    public func close() { loop.shutdown() }
}

/// An authentication failure with what the fallback needs to know: the RSA keys that were refused.
struct LibSSH2AuthFailure: Error {
    var error: ConnectionError
    var rsaKeysTried: [String]
}
