import Foundation
import XCTest
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

/// Facts and probe output captured on lab hosts of kind debian (Debian 12 as on its AMI:
/// systemd, apt, no policy-rc.d) and tini (Debian without init, policy-rc.d forbids starts)
/// in, the service module's decision out. Debian's packages enable their services on
/// install and start them unless policy-rc.d says no, so check mode on a fresh host must
/// predict that rather than a start the real run will not need.
final class DebianFixtureTests: XCTestCase {
    /// FactsGatherer.script's output on a debian host.
    static let systemdFacts = "id=debian\nversion=12\nlike=\narch=x86_64\nhostname=ip-10-0-12-10\ninit=systemd\npm=apt-get\n"
    /// The same on a tini host.
    static let sysvFacts = "id=debian\nversion=12\nlike=\narch=x86_64\nhostname=web-1\ninit=sysv\npm=apt-get\n"

    func context(_ factsOutput: String, check: Bool, connection: any Connection = ReplayConnection()) -> TaskContext {
        TaskContext(hostName: "debian", connection: connection, facts: FactsGatherer.parse(factsOutput), become: true,
                    checkMode: check, diffMode: false, variables: [:], baseDirectory: "/tmp",
                    renderTemplate: { s, _ in try TemplateEngine.render(s, variables: [:]) },
                    connectionTo: { _ in throw ModuleError("none") }, playHosts: ["debian"], warn: { _ in })
    }

    func apache2(started: Bool = true) throws -> ServiceModule {
        try ServiceModule(ModuleArguments(module: "service", values: [
            "name": .string("apache2"), "state": .string(started ? "started" : "stopped"), "enabled": .bool(true)]))
    }

    func testFactsChooseAptApache2WwwDataAndSystemd() throws {
        let facts = FactsGatherer.parse(Self.systemdFacts)
        XCTAssertEqual(facts.packageManager, .apt)
        XCTAssertEqual(facts.initSystem, .systemd)
        XCTAssertEqual(facts.variables["ansible_os_family"], .string("Debian"))
        let table = try WebPlaybookOSTable.variables(for: facts)
        XCTAssertEqual(table["web_server_service"], .string("apache2"))
        XCTAssertEqual(table["web_user"], .string("www-data"))
    }

    func testProbeAsksSystemctlAndWhetherPolicyRcDForbidsStarts() throws {
        let probe = try XCTUnwrap(try apache2().probe(context(Self.systemdFacts, check: true)))
        XCTAssertTrue(probe.contains("systemctl is-enabled -- apache2"), probe)
        XCTAssertTrue(probe.contains("/usr/sbin/policy-rc.d"), probe)
        let onDnf = try XCTUnwrap(try apache2().probe(context(AL2023FixtureTests.factsOutput, check: true)))
        XCTAssertFalse(onDnf.contains("policy-rc.d"), "rpm does not consult policy-rc.d: \(onDnf)")
    }

    /// A fresh debian host (probe output captured there): installing apache2 starts and
    /// enables it, so the task will find it as wanted.
    func testCheckModeOnAFreshSystemdHostPredictsThePackageStartsAndEnablesIt() throws {
        let fresh = ProbeResult(output: "exists=no\nactive=inactive\nenabled=\ninstall_starts=yes\n", exitStatus: 0)
        let decision = try apache2().decide(fresh, context(Self.systemdFacts, check: true))
        guard case .ok(let message) = decision else { return XCTFail("predicted a change the run will not make: \(decision)") }
        XCTAssertEqual(message, "apache2 will be running, enabled by its package's install")
        // Wanting it stopped: the install starts it, so the run will stop it.
        guard case .change(let summary, _, _, _) = try apache2(started: false).decide(fresh, context(Self.systemdFacts, check: true)) else {
            return XCTFail("a started service wanted stopped is a change")
        }
        XCTAssertEqual(summary, "stop apache2 (once installed)")
    }

    /// A fresh tini host: policy-rc.d forbids the start (update-rc.d still enables it).
    func testCheckModeWherePolicyRcDForbidsStartsPredictsOnlyTheStart() throws {
        let fresh = ProbeResult(output: "exists=no\nactive=inactive\nenabled=disabled\ninstall_starts=no\n", exitStatus: 0)
        guard case .change(let summary, _, _, _) = try apache2().decide(fresh, context(Self.sysvFacts, check: true)) else {
            return XCTFail("the run will start it")
        }
        XCTAssertEqual(summary, "start apache2 (once installed)")
    }

    /// On dnf hosts nothing is started or enabled by the install (AL's "disable *" preset).
    func testCheckModeOnAFreshDnfHostPredictsStartAndEnable() throws {
        let fresh = ProbeResult(output: "exists=no\nactive=inactive\nenabled=\n", exitStatus: 0)
        guard case .change(let summary, _, _, _) = try apache2().decide(fresh, context(AL2023FixtureTests.factsOutput, check: true)) else {
            return XCTFail("the run will start and enable it")
        }
        XCTAssertEqual(summary, "start apache2, enable apache2 (once installed)")
    }

    /// A tini host (sysv scripts, no systemd): `service` and `update-rc.d`, never systemctl.
    func testSysvServiceIsStartedWithServiceAndEnabledWithUpdateRcD() throws {
        let replay = ReplayConnection()
        let context = context(Self.sysvFacts, check: false, connection: replay)
        let probe = try XCTUnwrap(try apache2().probe(context))
        XCTAssertTrue(probe.contains("/etc/init.d/apache2") && probe.contains("/etc/rc[2345].d/S[0-9][0-9]apache2"), probe)
        XCTAssertFalse(probe.contains("systemctl"), probe)
        // Probe output on a tini host after `apt-get install apache2` (policy-rc.d: not started).
        let installed = ProbeResult(output: "exists=yes\nactive=inactive\nenabled=enabled\ninstall_starts=no\n", exitStatus: 0)
        guard case .change(let summary, _, let plan, _) = try apache2().decide(installed, context) else { return XCTFail("it must be started") }
        XCTAssertEqual(summary, "start apache2")
        _ = try apache2().apply(plan, context)
        XCTAssertEqual(replay.commands.count, 1, "\(replay.commands)")
        XCTAssertTrue(replay.commands[0].contains("service 'apache2' start") || replay.commands[0].contains("service apache2 start"), replay.commands[0])
        let disabled = ProbeResult(output: "exists=yes\nactive=active\nenabled=disabled\n", exitStatus: 0)
        guard case .change(_, _, let enable, _) = try apache2().decide(disabled, context) else { return XCTFail("it must be enabled") }
        _ = try apache2().apply(enable, context)
        XCTAssertTrue(replay.commands[1].contains("update-rc.d") && replay.commands[1].contains("defaults"), replay.commands[1])
        XCTAssertFalse(replay.commands.joined().contains("systemctl"), "\(replay.commands)")
    }

    /// Outside check mode a missing service is an error, whatever the packaging policy.
    func testARealRunOnAMissingServiceFails() throws {
        let fresh = ProbeResult(output: "exists=no\nactive=inactive\nenabled=\ninstall_starts=yes\n", exitStatus: 0)
        XCTAssertThrowsError(try apache2().decide(fresh, context(Self.systemdFacts, check: false)))
    }
}
