import Database
import Foundation
import ProvisionCore
import Transport

/// `MySQLLogin` as the `mysql_db` and `mysql_user` modules read it: the shared login
/// parameters, and the route to the server through the hosts of the play (`TaskContext`).
/// Database knows nothing of modules; this is where the two meet.
extension MySQLLogin {
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("login_host"),
        ParameterSpec("login_port", .int),
        ParameterSpec("login_user"),
        ParameterSpec("login_password", secret: true),
        ParameterSpec("via"),
        ParameterSpec("ca_cert", aliases: ["ssl_ca"]),
        ParameterSpec("require_tls", .bool, default: false),
        ParameterSpec("connect_timeout", .int),
        ParameterSpec("tls", choices: MySQLTLSMode.allCases.map(\.rawValue)),
    ]

    public init(_ args: ModuleArguments) throws {
        let host = try args.string("login_host") ?? "localhost"
        let port = try args.int("login_port") ?? 3306
        guard (1...65535).contains(port) else { throw args.error("login_port", "must be a port number (1-65535), not \(port)") }
        let user = try args.string("login_user") ?? "root"
        let password = try args.secret("login_password") ?? Secret("")
        let via = try args.string("via").flatMap { $0.isEmpty ? nil : $0 }
        let caCert = try args.string("ca_cert").flatMap { $0.isEmpty ? nil : $0 }
        let requireTLS = try args.bool("require_tls")
        let tlsMode = try args.string("tls").flatMap { $0.isEmpty ? nil : $0 }.map {
            guard let mode = MySQLTLSMode(rawValue: $0) else {
                throw args.error("tls", "must be one of \(MySQLTLSMode.allCases.map(\.rawValue).joined(separator: ", ")), not '\($0)'")
            }
            return mode
        }
        let connectTimeout = try args.int("connect_timeout") ?? 10
        guard NumberRules.seconds.range.contains(connectTimeout) else {
            throw args.error("connect_timeout", "\(connectTimeout) is out of range (\(NumberRules.seconds.range.lowerBound) to \(NumberRules.seconds.range.upperBound) seconds)")
        }
        self.init(host: host, port: port, user: user, password: password, via: via,
                  caCert: caCert, requireTLS: requireTLS, connectTimeout: connectTimeout, tlsMode: tlsMode)
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
