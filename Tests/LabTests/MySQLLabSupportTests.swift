import Foundation
@testable import ProvisionKit

#if canImport(Glibc)
import Glibc
#endif

/// The lab as `scripts/lab up` leaves it: web-1 10.0.10.10, web-2 10.0.11.10, and `db`
/// 10.0.20.10 (MariaDB 10.11 on 3306, reachable only from the web hosts).
enum MySQLLab {
    static let root = "/var/tmp/provision-lab"
    static let sshConfig = root + "/ssh_config"
    static let dbHost = "10.0.20.10"
    static let dbPort = 3306
    static var isUp: Bool { FileManager.default.fileExists(atPath: sshConfig) }

    static func adminPassword() throws -> Secret {
        let text = try String(contentsOfFile: root + "/db_admin_password", encoding: .utf8)
        return Secret(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The lab CA, when the lab made one.
    static var caFile: String? {
        for name in ["ca.pem", "ca.crt", "ca-cert.pem"] where FileManager.default.fileExists(atPath: "\(root)/tls/\(name)") {
            return "\(root)/tls/\(name)"
        }
        return nil
    }

    static func login(via: String? = nil, caCert: String? = nil, requireTLS: Bool = false) throws -> MySQLLogin {
        MySQLLogin(host: dbHost, port: dbPort, user: "admin", password: try adminPassword(), via: via,
                   caCert: caCert, requireTLS: requireTLS, connectTimeout: 5)
    }

    /// A connection to a lab host. Until the libssh2 transport lands (branch `transport`,
    /// `LibSSH2Connection`), this is the OpenSSH client with the lab's ssh_config; the
    /// tests only use the `Connection` protocol, so swapping the factory is one line.
    static func connect(_ host: String) throws -> any Connection {
        OpenSSHConnection(hostName: host, config: sshConfig)
    }

    static func context(playHosts: [String] = ["web-1", "web-2"], checkMode: Bool = false) -> TaskContext {
        let lock = NSLock()
        nonisolated(unsafe) var cache: [String: any Connection] = [:]
        let facts = Facts(distribution: .debian, osID: "debian", osVersion: "12", packageManager: .apt,
                          initSystem: .sysv, architecture: "x86_64", hostname: "web-1")
        let connectionTo: @Sendable (String) throws -> any Connection = { name in
            lock.lock(); defer { lock.unlock() }
            if let c = cache[name] { return c }
            let c = try connect(name)
            cache[name] = c
            return c
        }
        return TaskContext(
            hostName: playHosts[0], connection: (try? connectionTo(playHosts[0])) ?? OpenSSHConnection(hostName: playHosts[0], config: sshConfig),
            facts: facts, become: false, checkMode: checkMode, diffMode: false, variables: [:], baseDirectory: "/tmp",
            renderTemplate: { s, _ in Rendered(text: s, containsSecret: false) }, connectionTo: connectionTo, playHosts: playHosts, warn: { _ in })
    }
}

/// `Connection` over the OpenSSH client (test support only): commands via `ssh HOST`,
/// tunnels via `ssh -N -L 127.0.0.1:PORT:HOST:PORT`.
final class OpenSSHConnection: Connection, @unchecked Sendable {
    let hostName: String
    let config: String

    init(hostName: String, config: String) {
        self.hostName = hostName
        self.config = config
    }

    func run(_ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
             onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh")
        process.arguments = ["-F", config, "-o", "BatchMode=yes", hostName, become ? "sudo -n sh -c \(Shell.quote(command))" : command]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(stdout: stdout, stderr: stderr, exitStatus: process.terminationStatus)
    }

    func put(_ data: Data, to path: String, attributes: FileAttributes, become: Bool) throws {
        throw ModuleError("OpenSSHConnection.put is not needed by the MySQL lab tests")
    }

    func put(file localPath: String, to path: String, attributes: FileAttributes, become: Bool) throws {
        throw ModuleError("OpenSSHConnection.put is not needed by the MySQL lab tests")
    }

    func openTunnel(toHost host: String, port: Int) throws -> any Tunnel {
        try OpenSSHTunnel(config: config, via: hostName, host: host, port: port)
    }

    func close() {}
}

final class OpenSSHTunnel: Tunnel, @unchecked Sendable {
    let localPort: Int
    private let process: Process

    init(config: String, via: String, host: String, port: Int) throws {
        localPort = OpenSSHTunnel.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh")
        process.arguments = ["-F", config, "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes", "-N",
                             "-L", "127.0.0.1:\(localPort):\(host):\(port)", via]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !Reachability.canConnect(host: "127.0.0.1", port: localPort, timeout: 0.2) {
            if !process.isRunning || Date() > deadline {
                process.terminate()
                throw ConnectionError.protocolError(host: via, message: "could not forward a port to \(host):\(port)")
            }
            usleep(50_000)
        }
    }

    func close() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
