import Foundation
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

#if canImport(Glibc)
import Glibc
#endif

/// Test-only `Connection` for the controller itself: commands run locally and tunnels are
/// plain TCP forwarders on 127.0.0.1, with a name map standing in for the remote host's
/// view of the network (e.g. `db.test.internal` -> 127.0.0.1), so the module's tunnel path
/// runs for real without SSH. Not in Sources: Transport is another engineer's.
final class TestConnection: Connection, @unchecked Sendable {
    let hostName: String
    let names: [String: String]
    private let lock = NSLock()
    private(set) var tunnelsOpened = 0

    init(hostName: String, names: [String: String] = [:]) {
        self.hostName = hostName
        self.names = names
    }

    func run(_ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
             onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(stdout: stdout, stderr: stderr, exitStatus: process.terminationStatus)
    }

    func put(_ data: Data, to path: String, attributes: FileAttributes, become: Bool) throws {
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    func put(file localPath: String, to path: String, attributes: FileAttributes, become: Bool) throws {
        try put(Data(contentsOf: URL(fileURLWithPath: localPath)), to: path, attributes: attributes, become: become)
    }

    func openTunnel(toHost host: String, port: Int) throws -> any Tunnel {
        lock.lock(); tunnelsOpened += 1; lock.unlock()
        return try Forwarder(targetHost: names[host] ?? host, targetPort: port)
    }

    func close() {}
}

/// A listener on 127.0.0.1:<ephemeral> that pipes each connection to target:port.
final class Forwarder: Tunnel, @unchecked Sendable {
    let localPort: Int
    private let listener: Int32
    private let lock = NSLock()
    private var closed = false

    init(targetHost: String, targetPort: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        listen(fd, 16)
        listener = fd
        localPort = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [listener] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                let pump = Thread { Forwarder.pump(client, targetHost, targetPort) }
                pump.start()
            }
        }
        thread.start()
    }

    static func pump(_ client: Int32, _ host: String, _ port: Int) {
        defer { Glibc.close(client) }
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(upstream) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr(host)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { return }  // like an SSH channel that cannot open: the client sees EOF
        var fds = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: upstream, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while poll(&fds, 2, -1) > 0 {
            for (i, pfd) in fds.enumerated() where pfd.revents != 0 {
                let from = pfd.fd, to = i == 0 ? upstream : client
                let n = read(from, &buffer, buffer.count)
                if n <= 0 { return }
                var sent = 0
                while sent < n {
                    let w = buffer.withUnsafeBytes { write(to, $0.baseAddress! + sent, n - sent) }
                    if w <= 0 { return }
                    sent += w
                }
            }
        }
    }

    func close() {
        lock.lock(); defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }
}

/// Collects warnings a module emits.
final class WarningLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}

/// A task context on the controller; `connectionTo` hands out `TestConnection`s that
/// resolve `db.test.internal` to 127.0.0.1.
func makeDatabaseContext(checkMode: Bool = false, playHosts: [String] = ["web-1"], warnings: WarningLog = WarningLog()) -> TaskContext {
    let connections = playHosts.reduce(into: [String: TestConnection]()) {
        $0[$1] = TestConnection(hostName: $1, names: [MariaDBFixture.serverName: "127.0.0.1"])
    }
    let facts = Facts(distribution: .debian, osID: "debian", osVersion: "12", packageManager: .apt,
                      initSystem: .sysv, architecture: "x86_64", hostname: "controller")
    return TaskContext(
        hostName: playHosts.first ?? "localhost", connection: TestConnection(hostName: "localhost"), facts: facts,
        become: false, checkMode: checkMode, diffMode: false, variables: [:], baseDirectory: "/tmp",
        renderTemplate: { source, _ in Rendered(text: source, containsSecret: false) },
        connectionTo: { name in
            guard let c = connections[name] else { throw ModuleError("no host \(name) in the play") }
            return c
        },
        playHosts: playHosts, warn: { warnings.add($0) })
}
