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

/// A throwaway MariaDB server on 127.0.0.1 for integration tests: a temporary datadir,
/// a random port, TLS with a test CA (server certificate for IP 127.0.0.1 and
/// DNS db.test.internal), and an admin account `'admin'@'%'`. Started once per test
/// process; killed and removed at exit. nil when the MariaDB binaries are missing.
final class MariaDBFixture: @unchecked Sendable {
    static let shared: MariaDBFixture? = {
        do { return try MariaDBFixture() } catch {
            FileHandle.standardError.write(Data("MariaDB fixture unavailable: \(error)\n".utf8))
            return nil
        }
    }()

    static let serverName = "db.test.internal"
    let directory: String
    let port: Int
    let adminPassword = Secret("adm1n pw ' \" \\ ;")
    let caFile: String
    let wrongCAFile: String

    struct Failure: Error, CustomStringConvertible { var description: String }

    private init() throws {
        let daemon = "/usr/sbin/mariadbd", installer = "/usr/bin/mariadb-install-db"
        guard FileManager.default.isExecutableFile(atPath: daemon), FileManager.default.isExecutableFile(atPath: installer) else {
            throw Failure(description: "mariadbd or mariadb-install-db not installed")
        }
        var template = Array("/tmp/provision-mariadb-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure(description: "mkdtemp failed") }
        directory = String(cString: made)
        let data = directory + "/data"
        caFile = directory + "/ca.pem"
        wrongCAFile = directory + "/wrong-ca.pem"
        port = Self.freePort()

        // TLS: a CA, a server certificate it signs, and an unrelated CA.
        let sh = """
            set -e; cd \(directory)
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=provision test CA' -keyout ca-key.pem -out ca.pem 2>/dev/null
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=wrong CA' -keyout wrong-ca-key.pem -out wrong-ca.pem 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -subj '/CN=\(Self.serverName)' -keyout server-key.pem -out server.csr 2>/dev/null
            printf 'subjectAltName=DNS:\(Self.serverName),IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > ext.cnf
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile ext.cnf -out server.pem 2>/dev/null
            \(installer) --no-defaults --datadir=\(data) --user=root --auth-root-authentication-method=normal --skip-test-db > install.log 2>&1
            """
        try Self.shell(sh)

        let escaped = adminPassword.reveal().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        try """
            CREATE USER IF NOT EXISTS 'admin'@'%' IDENTIFIED BY '\(escaped)';
            GRANT ALL ON *.* TO 'admin'@'%' WITH GRANT OPTION;
            """.write(toFile: directory + "/init.sql", atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: daemon)
        process.arguments = [
            "--no-defaults", "--datadir=\(data)", "--socket=\(directory)/mysqld.sock", "--port=\(port)",
            "--bind-address=127.0.0.1", "--user=root", "--skip-name-resolve", "--init-file=\(directory)/init.sql",
            "--pid-file=\(directory)/mysqld.pid", "--log-error=\(directory)/error.log",
            "--ssl-ca=\(directory)/ca.pem", "--ssl-cert=\(directory)/server.pem", "--ssl-key=\(directory)/server-key.pem",
            "--innodb-buffer-pool-size=16M", "--skip-log-bin",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        fixturePID = process.processIdentifier
        fixtureDirectory = directory
        atexit {
            if fixturePID > 0 { kill(fixturePID, SIGKILL); var status: Int32 = 0; waitpid(fixturePID, &status, 0) }
            if let dir = fixtureDirectory { try? FileManager.default.removeItem(atPath: dir) }
        }

        let deadline = Date().addingTimeInterval(60)
        // Up means MariaDB's own client can log in as admin: an independent tool, not the
        // client code these tests exercise.
        while !Self.clientCanLogIn(port: port, password: adminPassword.reveal()) {
            if Date() > deadline || !process.isRunning {
                let log = (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? ""
                throw Failure(description: "MariaDB did not start (the mariadb client cannot log in)\n\(log.suffix(2000))")
            }
            usleep(100_000)
        }
    }

    func adminOptions(tls: MySQLTLSOptions? = nil, serverName: String? = nil) -> MySQLConnectOptions {
        MySQLConnectOptions(host: "127.0.0.1", port: port, user: "admin", password: adminPassword,
                            serverName: serverName, serverPort: port, tls: tls, connectTimeout: 5)
    }

    func admin() throws -> MySQLClient { try MySQLClient.connect(adminOptions()) }

    /// Login parameters for the modules: direct to 127.0.0.1.
    func login(caCert: String? = nil, requireTLS: Bool = false) -> MySQLLogin {
        MySQLLogin(host: "127.0.0.1", port: port, user: "admin", password: adminPassword, caCert: caCert,
                   requireTLS: requireTLS, connectTimeout: 5)
    }

    /// `mariadb -h 127.0.0.1 -P PORT -u admin -e 'SELECT 1'`, the password in MYSQL_PWD
    /// (never on a command line).
    static func clientCanLogIn(port: Int, password: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mariadb")
        process.arguments = ["--no-defaults", "--protocol=TCP", "-h", "127.0.0.1", "-P", String(port), "-u", "admin",
                             "--connect-timeout=2", "-e", "SELECT 1"]
        process.environment = ["MYSQL_PWD": password, "PATH": "/usr/bin:/bin"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    static func shell(_ script: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure(description: "fixture set-up failed (\(process.terminationStatus))") }
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

nonisolated(unsafe) private var fixturePID: pid_t = 0
nonisolated(unsafe) private var fixtureDirectory: String? = nil

