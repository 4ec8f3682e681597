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

/// Records the commands a module's apply sends and answers each with the output captured
/// on an al2023 lab host for that command (exit 0 and empty output otherwise).
final class ReplayConnection: Connection, @unchecked Sendable {
    let hostName = "al2023"
    private let lock = NSLock()
    private(set) var commands: [String] = []
    let answers: [(String, String)]   // (command contains, stdout)
    init(answers: [(String, String)] = []) { self.answers = answers }
    func run(_ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
             onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?) throws -> CommandResult {
        lock.lock(); commands.append(command); lock.unlock()
        let out = answers.first { command.contains($0.0) }?.1 ?? ""
        return CommandResult(stdout: Data(out.utf8), stderr: Data(), exitStatus: 0)
    }
    func put(_ data: Data, to path: String, attributes: FileAttributes, become: Bool) throws {}
    func put(file localPath: String, to path: String, attributes: FileAttributes, become: Bool) throws {}
    func openTunnel(toHost host: String, port: Int) throws -> any Tunnel { throw ModuleError("no tunnels") }
    func close() {}
}

/// Facts and probe output captured on an al2023 lab host (`scripts/lab launch --kind al2023`)
/// in, the decision and the commands out: the dnf and systemd paths of the WordPress job.
final class AL2023FixtureTests: XCTestCase {
    /// FactsGatherer.script's output on the host.
    static let factsOutput = "id=amzn\nversion=2023\nlike=fedora\narch=x86_64\nhostname=ip-10-0-12-10\ninit=systemd\npm=dnf\n"
    /// `dnf -y install php-fpm httpd` once both are installed.
    static let dnfNothingToDo = """
        Last metadata expiration check: 0:00:18 ago on Thu Dec  3 17:20:09 2026.
        Package php8.2-fpm-8.2.36-1~deb12u1.amzn2023.x86_64 is already installed.
        Package httpd-2.4.71-1~deb12u1.amzn2023.noarch is already installed.
        Dependencies resolved.
        Nothing to do.
        Complete!

        """

    var facts: Facts { FactsGatherer.parse(Self.factsOutput) }

    func context(_ connection: any Connection, check: Bool = false) -> TaskContext {
        TaskContext(hostName: "al2023", connection: connection, facts: facts, become: true, checkMode: check, diffMode: false,
                    variables: [:], baseDirectory: "/tmp", renderTemplate: { s, _ in try TemplateEngine.render(s, variables: [:]) },
                    connectionTo: { _ in throw ModuleError("none") }, playHosts: ["al2023"], warn: { _ in })
    }

    func testFactsChooseDnfHttpdApacheAndSystemd() throws {
        XCTAssertEqual(facts.distribution, .amazonLinux2023)
        XCTAssertEqual(facts.packageManager, .dnf)
        XCTAssertEqual(facts.initSystem, .systemd)
        let v = facts.variables
        XCTAssertEqual(v["ansible_os_family"], .string("RedHat"))
        XCTAssertEqual(v["ansible_service_mgr"], .string("systemd"))
        let table = try WebPlaybookOSTable.variables(for: facts)
        XCTAssertEqual(table["web_server_service"], .string("httpd"))
        XCTAssertEqual(table["web_user"], .string("apache"))
        XCTAssertEqual(table["web_group"], .string("apache"))
    }

    func testPackagesProvidedByPhp82PackagesAreInstalled() throws {
        let module = try PackageModule(ModuleArguments(module: "package", values: [
            "name": .list(["httpd", "php", "php-mysqlnd", "php-mbstring", "php-xml", "php-fpm", "tar", "gzip"].map { .string($0) })]))
        let replay = ReplayConnection()
        let probe = try XCTUnwrap(try module.probe(context(replay)))
        XCTAssertTrue(probe.contains("rpm -q --whatprovides"), probe)
        // The probe's output on the host after the first run (each a capability or a name).
        let output = "--installed\n" + ["httpd\t2.4.71-1~deb12u1.amzn2023", "php\t8.2.36-1~deb12u1.amzn2023",
                                       "php-mysqlnd\t8.2.36-1~deb12u1.amzn2023", "php-mbstring\t8.2.36-1~deb12u1.amzn2023",
                                       "php-xml\t8.2.36-1~deb12u1.amzn2023", "php-fpm\t8.2.36-1~deb12u1.amzn2023",
                                       "tar\t2023.6.20241212-1.amzn2023", "gzip\t2023.6.20241212-1.amzn2023"].joined(separator: "\n") + "\n"
        guard case .ok = try module.decide(ProbeResult(output: output, exitStatus: 0), context(replay)) else {
            return XCTFail("installed packages must read as installed")
        }
    }

    /// A refresh rewrites /var/cache/dnf and every dnf command logs to /var/log: check mode
    /// asks dnf on a copy of the cache, logging beside it, in a directory it removes.
    func testCheckModeAsksDnfFromItsCacheAndLogsNowhere() throws {
        let module = try PackageModule(ModuleArguments(module: "package", values: [
            "name": .string("*"), "state": .string("latest"), "update_cache": .bool(true), "cache_valid_time": .int(3600)]))
        let check = try XCTUnwrap(try module.probe(context(ReplayConnection(), check: true)))
        XCTAssertTrue(check.contains("cp -a /var/cache/dnf \"$t/cache\""), check)
        XCTAssertTrue(check.contains("dnf -q --setopt=cachedir=\"$t/cache\" --setopt=logdir=\"$t\" check-update"), check)
        XCTAssertTrue(check.contains("rm -rf \"$t\""), check)
        let real = try XCTUnwrap(try module.probe(context(ReplayConnection())))
        XCTAssertTrue(real.contains("dnf -q check-update"), real)
        XCTAssertFalse(real.contains("cachedir"), "a real run's query refreshes expired metadata in the host's cache: \(real)")
    }

    func testDnfNothingToDoIsNoChange() throws {
        let module = try PackageModule(ModuleArguments(module: "dnf", values: ["name": .list([.string("php-fpm"), .string("httpd")])]))
        let replay = ReplayConnection(answers: [("install", Self.dnfNothingToDo)])
        let decision = try module.decide(ProbeResult(output: "--installed\n", exitStatus: 0), context(replay))
        guard case .change(_, _, let plan, _) = decision else { return XCTFail("\(decision)") }
        let outcome = try module.apply(plan, context(replay))
        XCTAssertFalse(outcome.changed, outcome.message ?? "")
        XCTAssertEqual(replay.commands.count, 1)
        XCTAssertTrue(replay.commands[0].contains("dnf -y install -- php-fpm httpd"), replay.commands[0])
    }

    func testSystemdServiceIsStartedAndEnabledWithSystemctl() throws {
        let module = try ServiceModule(ModuleArguments(module: "service", values: [
            "name": .string("php-fpm"), "state": .string("started"), "enabled": .bool(true)]))
        let replay = ReplayConnection()
        let probe = try XCTUnwrap(try module.probe(context(replay)))
        XCTAssertTrue(probe.contains("systemctl is-enabled"), probe)
        XCTAssertFalse(probe.contains("/etc/init.d"), probe)
        // On the host after `dnf install`: AL's preset policy leaves it disabled and stopped.
        let decision = try module.decide(ProbeResult(output: "exists=yes\nactive=inactive\nenabled=disabled\n", exitStatus: 0), context(replay))
        guard case .change(let summary, _, let plan, _) = decision else { return XCTFail("\(decision)") }
        XCTAssertEqual(summary, "start php-fpm, enable php-fpm")
        _ = try module.apply(plan, context(replay))
        XCTAssertEqual(replay.commands.count, 2, "\(replay.commands)")
        XCTAssertTrue(replay.commands[0].contains("systemctl enable -- php-fpm"), replay.commands[0])
        XCTAssertTrue(replay.commands[1].contains("systemctl start"), replay.commands[1])
        XCTAssertFalse(replay.commands.joined().contains("update-rc.d"), "\(replay.commands)")
        // Once enabled and running: nothing to do.
        guard case .ok = try module.decide(ProbeResult(output: "exists=yes\nactive=active\nenabled=enabled\n", exitStatus: 0), context(replay)) else {
            return XCTFail("an active, enabled unit is as wanted")
        }
    }
}
