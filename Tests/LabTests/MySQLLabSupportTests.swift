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

/// The lab as `scripts/lab up` leaves it: web-1 10.0.10.10, web-2 10.0.11.10, and `db`
/// 10.0.20.10 (MariaDB 10.11 on 3306, reachable only from the web hosts).
enum MySQLLab {
    /// The lab `PROVISION_LAB` names (as `Lab.directory`): with another value, or none up
    /// there, these tests skip instead of using a lab someone else is running.
    static let root = Lab.directory
    static let sshConfig = root + "/ssh_config"
    static let dbHost = "10.0.20.10"
    static let dbPort = 3306
    /// Up when `ssh` logs in to web-1 and MariaDB's port answers from there (independent
    /// tools, not the code under test).
    static let isUp: Bool = {
        guard FileManager.default.fileExists(atPath: sshConfig) else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh")
        process.arguments = ["-F", sshConfig, "-o", "BatchMode=yes", "-o", "ConnectTimeout=3", "web-1",
                             "timeout 3 bash -c 'exec 3<>/dev/tcp/\(dbHost)/\(dbPort)'"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

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

    /// A connection to a lab host through provision's own transport (libssh2).
    static func connect(_ host: String) throws -> any Connection {
        let resolver = HostResolver(inventory: try InventoryLoader.load(path: root + "/inventory.yml"),
                                    sshConfig: try SSHConfig.load(path: sshConfig), sshConfigFile: sshConfig)
        var options = RunOptions()
        if ProcessInfo.processInfo.environment["LAB_TRANSPORT"] == "openssh" { options.transport = .openssh }
        return try Transport.connect(SSHEndpoint(resolver.resolve(host), options: options, sshConfigFile: nil), preference: options.transport)
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
            hostName: playHosts[0], connection: (try? connectionTo(playHosts[0])) ?? LocalConnection(hostName: playHosts[0]),
            facts: facts, become: false, checkMode: checkMode, diffMode: false, variables: [:], baseDirectory: "/tmp",
            renderTemplate: { s, _ in Rendered(text: s, containsSecret: false) }, connectionTo: connectionTo, playHosts: playHosts, warn: { _ in })
    }
}

