import CMySQL
import Foundation

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

    public static let parameters: [ParameterSpec] = [
        ParameterSpec("login_host"),
        ParameterSpec("login_port", .int),
        ParameterSpec("login_user"),
        ParameterSpec("login_password"),
        ParameterSpec("via"),
        ParameterSpec("ca_cert", aliases: ["ssl_ca"]),
        ParameterSpec("require_tls", .bool),
        ParameterSpec("connect_timeout", .int),
        ParameterSpec("tls", choices: MySQLTLSMode.allCases.map(\.rawValue)),
    ]

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

    public init(_ args: ModuleArguments) throws {
        host = try args.string("login_host") ?? "localhost"
        port = try args.int("login_port") ?? 3306
        guard (1...65535).contains(port) else { throw args.error("login_port", "must be a port number (1-65535), not \(port)") }
        user = try args.string("login_user") ?? "root"
        password = try args.secret("login_password") ?? Secret("")
        via = try args.string("via").flatMap { $0.isEmpty ? nil : $0 }
        caCert = try args.string("ca_cert").flatMap { $0.isEmpty ? nil : $0 }
        requireTLS = try args.bool("require_tls", default: false)
        tlsMode = try args.string("tls").flatMap { $0.isEmpty ? nil : $0 }.map {
            guard let mode = MySQLTLSMode(rawValue: $0) else {
                throw args.error("tls", "must be one of \(MySQLTLSMode.allCases.map(\.rawValue).joined(separator: ", ")), not '\($0)'")
            }
            return mode
        }
        connectTimeout = try args.int("connect_timeout") ?? 10
        guard NumberRules.seconds.range.contains(connectTimeout) else {
            throw args.error("connect_timeout", "\(connectTimeout) is out of range (\(NumberRules.seconds.range.lowerBound) to \(NumberRules.seconds.range.upperBound) seconds)")
        }
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

    /// `via` when given; else a direct TCP connect with a short timeout, and when that fails
    /// the first host of the play. Remembered per `host:port` for the run.
    public func route(_ context: TaskContext) throws -> Route {
        if let via { return .tunnel(via: via) }
        let key = "\(host):\(port)"
        if let known = RouteCache.shared.get(key) { return known }
        // A server found unreachable from the controller before is tunnelled at once: the
        // web hosts can always reach their database, so that answer never goes wrong.
        if RouteCache.shared.neededTunnelBefore(key), let first = context.playHosts.first {
            return .tunnel(via: first)
        }
        let route: Route
        // On a LAN or inside a VPC a connect completes in milliseconds; a security group
        // drops the SYN silently, so a short wait decides without costing every run a second.
        if Reachability.canConnect(host: host, port: port, timeout: 0.3) {
            route = .direct
        } else if let first = context.playHosts.first {
            route = .tunnel(via: first)
        } else {
            throw DatabaseError("cannot reach MySQL at \(host):\(port) from the controller, and the play has no host to tunnel through (set via:)")
        }
        RouteCache.shared.set(key, route)
        return route
    }

    /// Opens the route and connects as the admin (or as `asUser` with `asPassword`).
    public func open(_ context: TaskContext) throws -> MySQLSession {
        if effectiveTLSMode == .disabled {
            context.warn("db_tls: disabled: the connection to MySQL at \(host):\(port) is not encrypted, so passwords (CREATE USER … IDENTIFIED BY) cross the network in clear")
        }
        let route = try route(context)
        var opener: (@Sendable () throws -> any Tunnel)? = nil
        var viaName: String? = nil
        if case .tunnel(let through) = route {
            viaName = through
            let (host, port) = (self.host, self.port)
            opener = {
                do {
                    return try context.connectionTo(through).openTunnel(toHost: host, port: port)
                } catch {
                    throw DatabaseError("cannot reach MySQL at \(host):\(port) (through \(through)): \(error)")
                }
            }
        }
        let session = MySQLSession(login: self, via: viaName, openTunnel: opener)
        do {
            session.admin = try session.connect(user: user, password: password)
        } catch {
            session.close()
            throw error
        }
        return session
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

    init(login: MySQLLogin, via: String?, openTunnel: (@Sendable () throws -> any Tunnel)?) {
        self.login = login
        self.via = via
        self.openTunnel = openTunnel
    }

    public internal(set) var admin: MySQLClient! {
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
final class RouteCache: @unchecked Sendable {
    static let shared = RouteCache()
    private let lock = NSLock()
    private var routes: [String: MySQLLogin.Route] = [:]
    /// Servers that needed a tunnel, kept across runs (~/.cache/provision/db-tunnelled).
    let file: String = (ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")) + "/provision/db-tunnelled"

    func get(_ key: String) -> MySQLLogin.Route? { lock.lock(); defer { lock.unlock() }; return routes[key] }

    func set(_ key: String, _ route: MySQLLogin.Route) {
        lock.lock()
        routes[key] = route
        lock.unlock()
        if case .tunnel = route, !neededTunnelBefore(key) {
            let text = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "") + key + "\n"
            try? FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? text.write(toFile: file, atomically: true, encoding: .utf8)
        }
    }

    func neededTunnelBefore(_ key: String) -> Bool {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").contains { $0 == key }
    }

    func reset() { lock.lock(); defer { lock.unlock() }; routes = [:] }
}

enum Reachability {
    /// A TCP connect to `host:port` that gives up after `timeout` seconds.
    static func canConnect(host: String, port: Int, timeout: Double) -> Bool {
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
enum NativePassword {
    static func hash(_ password: Secret) -> String {
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
