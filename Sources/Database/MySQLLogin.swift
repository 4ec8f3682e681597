import CMySQL
import Foundation
import ProvisionCore
import Transport

#if canImport(Glibc)
import Glibc
#endif

/// The login parameters `mysql_db` and `mysql_user` share, and how they reach the server:
/// directly, or through a tunnel over the SSH session of a host of the play.
public struct MySQLLogin: Sendable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: Secret
    /// The play host whose SSH session tunnels to `host:port`; nil: decide (see `route`).
    public var via: String?
    public var caCert: String?
    public var requireTLS: Bool
    public var connectTimeout: Int
    /// `tls:` (the playbook's `db_tls`): nil means the default, see `effectiveTLSMode`.
    public var tlsMode: MySQLTLSMode?

    public init(host: String, port: Int = 3306, user: String, password: Secret, via: String? = nil,
                caCert: String? = nil, requireTLS: Bool = false, connectTimeout: Int = 10, tlsMode: MySQLTLSMode? = nil) {
        self.tlsMode = tlsMode
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.via = via
        self.caCert = caCert
        self.requireTLS = requireTLS
        self.connectTimeout = connectTimeout
    }

    /// The mode in force: `tls:` when given (a CA makes `required` verify); else `verify`
    /// with a CA or `require_tls`, else `required` (RDS always offers TLS).
    public var effectiveTLSMode: MySQLTLSMode {
        switch tlsMode {
        case .disabled?: return .disabled
        case .verify?: return .verify
        case .required?, nil: return caCert != nil || requireTLS ? .verify : .required
        }
    }

    /// TLS as asked: `required` encrypts without checking the certificate; `verify` checks
    /// it against the CA (`ca_cert`) or the system's CAs, and the server's name.
    public var tls: MySQLTLSOptions? {
        switch effectiveTLSMode {
        case .disabled: return nil
        case .required: return MySQLTLSOptions(caFile: nil, required: true, verify: false)
        case .verify: return MySQLTLSOptions(caFile: caCert, required: true, verify: true)
        }
    }

    /// How the controller reaches the server.
    public enum Route: Sendable, Equatable {
        case direct
        case tunnel(via: String)
    }
}

/// An open route to the server and the admin connection. Through a tunnel, every login
/// gets its own tunnel (a forwarded port need not accept more than one connection);
/// all are closed with the session.
public final class MySQLSession: @unchecked Sendable {
    public let login: MySQLLogin
    public let via: String?
    private let openTunnel: (@Sendable () throws -> any Tunnel)?
    private let lock = NSLock()
    private var _admin: MySQLClient?
    private var clients: [MySQLClient] = []
    private var tunnels: [any Tunnel] = []

    package init(login: MySQLLogin, via: String?, openTunnel: (@Sendable () throws -> any Tunnel)?) {
        self.login = login
        self.via = via
        self.openTunnel = openTunnel
    }

    public package(set) var admin: MySQLClient! {
        get { lock.lock(); defer { lock.unlock() }; return _admin }
        set { lock.lock(); defer { lock.unlock() }; _admin = newValue }
    }

    /// A login over the route (e.g. as the managed user, to test its password); closed with
    /// the session at the latest.
    public func connect(user: String, password: Secret, database: String? = nil) throws -> MySQLClient {
        var address = login.host, port = login.port
        var tunnel: (any Tunnel)? = nil
        if let openTunnel {
            let opened = try openTunnel()
            tunnel = opened
            address = "127.0.0.1"
            port = opened.localPort
        }
        do {
            let client = try MySQLClient.connect(MySQLConnectOptions(
                host: address, port: port, user: user, password: password, serverName: login.host,
                serverPort: login.port, via: via, tls: login.tls, connectTimeout: login.connectTimeout,
                database: database))
            lock.lock(); clients.append(client); if let tunnel { tunnels.append(tunnel) }; lock.unlock()
            return client
        } catch {
            tunnel?.close()
            throw error
        }
    }

    public func close() {
        lock.lock()
        let (clients, tunnels) = (self.clients, self.tunnels)
        self.clients = []; self.tunnels = []
        lock.unlock()
        for client in clients { client.close() }
        for tunnel in tunnels { tunnel.close() }
    }
}

/// Which route worked for a `host:port`, so a run pays the direct-connect probe once.
package final class RouteCache: @unchecked Sendable {
    package static let shared = RouteCache()
    private let lock = NSLock()
    private var routes: [String: MySQLLogin.Route] = [:]
    /// Servers that needed a tunnel, kept across runs (~/.cache/provision/db-tunnelled).
    let file: String = (ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")) + "/provision/db-tunnelled"

    package func get(_ key: String) -> MySQLLogin.Route? { lock.lock(); defer { lock.unlock() }; return routes[key] }

    package func set(_ key: String, _ route: MySQLLogin.Route) {
        lock.lock()
        routes[key] = route
        lock.unlock()
        if case .tunnel = route, !neededTunnelBefore(key) {
            let text = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "") + key + "\n"
            try? FileManager.default.createDirectory(atPath: PathText.directory(of: file), withIntermediateDirectories: true)
            try? text.write(toFile: file, atomically: true, encoding: .utf8)
        }
    }

    package func neededTunnelBefore(_ key: String) -> Bool {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").contains { $0 == key }
    }

    func reset() { lock.lock(); defer { lock.unlock() }; routes = [:] }
}

package enum Reachability {
    /// A TCP connect to `host:port` that gives up after `timeout` seconds.
    package static func canConnect(host: String, port: Int, timeout: Double) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return false }
        defer { freeaddrinfo(list) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let ai = entry {
            defer { entry = ai.pointee.ai_next }
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            defer { Glibc.close(fd) }
            let flags = fcntl(fd, F_GETFL, 0)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            let rc = connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen)
            if rc == 0 { return true }
            guard errno == EINPROGRESS else { continue }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&pfd, 1, Int32(timeout * 1000)) == 1 else { continue }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error == 0 { return true }
        }
        return false
    }
}

/// Password hashes as `mysql_native_password` stores them: `*` + hex(SHA1(SHA1(password))).
package enum NativePassword {
    package static func hash(_ password: Secret) -> String {
        let bytes = Array(password.reveal().utf8)
        var first = [UInt8](repeating: 0, count: 20)
        var second = [UInt8](repeating: 0, count: 20)
        _ = provision_sha1(bytes, bytes.count, &first)
        _ = provision_sha1(first, first.count, &second)
        return "*" + second.map { String(format: "%02X", $0) }.joined()
    }
}

/// TLS to the database (`tls:` of mysql_db/mysql_user; the playbook's `db_tls`).
public enum MySQLTLSMode: String, Sendable, CaseIterable {
    /// TLS enforced, certificate not checked (protects against eavesdroppers): the default.
    case required
    /// TLS enforced, certificate checked against `ca_cert` (or the system's CAs) and the name.
    case verify
    /// No TLS (a warning says so).
    case disabled
}
