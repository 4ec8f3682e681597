import Foundation
import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

/// How these tests reach a lab host: the engine's own transport (`Transport.connect`,
/// OpenSSH with a ControlMaster today, libssh2 when it lands), with the lab's ssh_config.
/// Pointing this at `LocalConnection(hostName:)` runs the same scenarios on this machine.
func fileLabConnection(_ host: String) throws -> any Connection {
    let config = try HostResolver.loadSSHConfig(path: Lab.sshConfig)
    let inventory = (try? InventoryLoader.load(path: Lab.inventory)) ?? Inventory()
    let resolver = HostResolver(inventory: inventory, sshConfig: config, sshConfigFile: Lab.sshConfig)
    return try Transport.connect(SSHEndpoint(resolver.resolve(host), options: RunOptions(), sshConfigFile: Lab.sshConfig))
}

/// Counts round trips, to show a converged play's probes cost one.
final class CountingConnection: Connection, @unchecked Sendable {
    let inner: any Connection
    private let lock = NSLock()
    private var count = 0
    init(_ inner: any Connection) { self.inner = inner }
    var hostName: String { inner.hostName }
    var roundTrips: Int { lock.lock(); defer { lock.unlock() }; return count }
    func bump() { lock.lock(); count += 1; lock.unlock() }
    func run(_ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
             onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?) throws -> CommandResult {
        bump()
        return try inner.run(command, stdin: stdin, become: become, timeout: timeout, onOutput: onOutput)
    }
    func put(_ data: Data, to path: String, attributes: FileAttributes, become: Bool) throws {
        bump()
        try inner.put(data, to: path, attributes: attributes, become: become)
    }
    func put(file localPath: String, to path: String, attributes: FileAttributes, become: Bool) throws {
        bump()
        try inner.put(file: localPath, to: path, attributes: attributes, become: become)
    }
    func openTunnel(toHost host: String, port: Int) throws -> any Tunnel { try inner.openTunnel(toHost: host, port: port) }
    func close() { inner.close() }
}

/// The file modules on lab host web-1 (user ec2-user, become through sudo): first run
/// changed, second ok, check mode predicts the first run on a fresh target and nothing on
/// a converged one. Skips when no lab is up; never starts or stops the lab.
final class FilesLabTests: XCTestCase {
    var connection: CountingConnection!
    var root = ""
    var local = ""

    override func setUpWithError() throws {
        try Lab.require()
        connection = CountingConnection(try fileLabConnection("web-1"))
        root = try connection.run("mktemp -d /var/tmp/provision-filetest.XXXXXX", become: true).stdoutText
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(root.hasPrefix("/var/tmp/provision-filetest."), "made a root-owned work directory")
        local = NSTemporaryDirectory() + "filelab-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: local + "/templates", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let connection, root.hasPrefix("/var/tmp/provision-filetest.") {
            _ = try? connection.run("rm -rf -- \(Shell.quote(root)) \(UnarchiveModule.markerDirectory)/\(SHA256.hex(root + "/www"))", become: true)
            connection.close()
        }
        try? FileManager.default.removeItem(atPath: local)
    }

    func context(check: Bool = false, diff: Bool = false, variables: [String: Value] = [:]) -> TaskContext {
        TaskContext(
            hostName: "web-1", connection: connection,
            facts: Facts(distribution: .debian, osID: "debian", osVersion: "12", packageManager: .apt, initSystem: .sysv,
                         architecture: "x86_64", hostname: "web-1"),
            become: true, checkMode: check, diffMode: diff, variables: variables, baseDirectory: local,
            renderTemplate: { source, origin in
                try TemplateEngine.render(source, variables: variables, origin: SourceLocation(file: origin, line: 1))
            },
            connectionTo: { _ in throw ModuleError("one host") }, playHosts: ["web-1"], warn: { _ in })
    }

    typealias Task = (spec: ModuleSpec, args: [String: Value])

    /// Probes every task in one batch (one round trip), as the engine does, then decides and
    /// applies each; returns which changed.
    func play(_ tasks: [Task], check: Bool = false, variables: [String: Value] = [:]) throws -> [Bool] {
        let ctx = context(check: check, variables: variables)
        let modules = try tasks.map { try $0.spec.make(ModuleArguments(module: $0.spec.name, values: $0.args)) }
        var batch = ProbeBatch()
        for (i, m) in modules.enumerated() { if let s = try m.probe(ctx) { batch.add(key: i, script: s) } }
        let probes = try batch.parse(connection.run(batch.script, stdin: Data(), become: true, timeout: nil, onOutput: nil).stdoutText)
        var changed: [Bool] = []
        for (i, m) in modules.enumerated() {
            changed.append(try m.run(probe: probes[i], context: ctx).0.changed)
        }
        return changed
    }

    func remote(_ command: String) throws -> String {
        let r = try connection.run(command, become: true)
        XCTAssertEqual(r.exitStatus, 0, "\(command): \(r.stderrText)")
        return r.stdoutText
    }

    func testWebRootScenarioOnWeb1() throws {
        // A small WordPress-shaped tarball, built here, uploaded once per unpack.
        let build = Lab.run("/bin/sh", ["-c", "cd \(Shell.quote(local)) && mkdir -p src/wordpress && echo '<?php // wp' > src/wordpress/index.php && tar -czf wp.tar.gz -C src wordpress"])
        XCTAssertEqual(build.status, 0, build.stderr)
        try "<?php\ndefine('DB_PASSWORD', '{{ db_password }}');\n".write(toFile: local + "/templates/wp-config.php.j2", atomically: true, encoding: .utf8)
        let www = root + "/www"
        let variables: [String: Value] = ["db_password": .secret(Secret("lab-s3cret-pw"))]
        let tasks: [Task] = [
            (FileModule.spec, ["path": .string(www), "state": "directory", "mode": "0755"]),
            (UnarchiveModule.spec, ["src": "wp.tar.gz", "dest": .string(www), "strip_components": 1, "owner": "www-data", "group": "www-data"]),
            (FileModule.spec, ["path": .string(www), "state": "directory", "owner": "www-data", "group": "www-data", "recurse": true]),
            (TemplateModule.spec, ["src": "wp-config.php.j2", "dest": .string(www + "/wp-config.php"), "owner": "www-data", "group": "www-data",
                                   "mode": "0640", "validate": "grep -q DB_PASSWORD %s"]),
            (LineInFileModule.spec, ["path": .string(www + "/index.php"), "regexp": "^<p class=\"site-marker\">",
                                     "line": "<p class=\"site-marker\">web-1</p>", "insertbefore": "BOF"]),
            (CopyModule.spec, ["dest": .string(root + "/motd"), "content": "hello from provision\n", "mode": "0600"]),
        ]
        let snapshot = { (try? self.remote("find \(Shell.quote(self.root)) -printf '%P %u %g %m %s\\n' | sort")) ?? "" }
        let fresh = snapshot()
        // Each task on its own in check mode predicts a change on the fresh target and changes nothing.
        for task in tasks.prefix(1) { XCTAssertEqual(try play([task], check: true, variables: variables), [true]) }
        XCTAssertEqual(snapshot(), fresh)

        // Run one task after the other (later ones need the earlier ones' effects). The
        // recursive owner finds nothing to do: unarchive already gave the tree to www-data.
        let expected = [true, true, false, true, true, true]
        for (i, task) in tasks.enumerated() {
            XCTAssertEqual(try play([task], variables: variables), [expected[i]], "first run of task \(i)")
        }
        XCTAssertEqual(try remote("stat -c '%U:%G:%a' \(www)/index.php \(www)/wp-config.php \(root)/motd"),
                       "www-data:www-data:644\nwww-data:www-data:640\nroot:root:600\n")
        XCTAssertEqual(try remote("head -n 1 \(www)/index.php"), "<p class=\"site-marker\">web-1</p>\n")

        // Converged: all six probed in one round trip, nothing changes, check mode agrees.
        let before = connection.roundTrips
        XCTAssertEqual(try play(tasks, variables: variables), [false, false, false, false, false, false])
        XCTAssertEqual(connection.roundTrips - before, 1, "a no-op costs one round trip")
        XCTAssertEqual(try play(tasks, check: true, variables: variables), [false, false, false, false, false, false])

        // An interrupted unpack (no marker) is redone.
        _ = try remote("rm -f \(UnarchiveModule.markerDirectory)/\(SHA256.hex(www))")
        XCTAssertEqual(try play([tasks[1]], check: true), [true])
        XCTAssertEqual(try play([tasks[1]]), [true])
        XCTAssertEqual(try play([tasks[1]]), [false])
    }
}
