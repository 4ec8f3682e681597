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

/// Facts and probe output captured on an al2 lab host (`scripts/lab launch --fresh --kind al2`)
/// in, the decision and the commands out: the yum and amazon-linux-extras paths of the job.
final class AL2FixtureTests: XCTestCase {
    /// FactsGatherer.script's output on the host: `yum` is dnf there, so dnf is on the PATH too.
    static let factsOutput = "id=amzn\nversion=2\nlike=centos rhel fedora\narch=x86_64\nhostname=ip-10-0-12-10\ninit=systemd\npm=dnf\n"
    /// `amazon-linux-extras list` on a fresh host, then after `amazon-linux-extras enable php8.2`.
    static let extrasList = """
          2  httpd_modules            available    [ =stable ]
         18  nginx1                   available    [ =stable ]
         52  php7.4                   available    [ =stable ]
         54  mariadb10.5              available    [ =stable ]
         58  php8.0                   available    [ =stable ]
         62  php8.1                   available    [ =stable ]
         63  php8.2                   available    [ =stable ]

        """
    static let extrasListEnabled = extrasList.replacingOccurrences(
        of: " 63  php8.2                   available", with: " 63  php8.2=latest            enabled  ")
    /// `yum -y update --` on a host with nothing outdated.
    static let yumUpdateNothingToDo = """
        Amazon Extras repo for php8.2                   955 kB/s | 4.3 kB     00:00
        Amazon Linux 2 core repository (provision lab:  1.4 MB/s |  18 kB     00:00
        Dependencies resolved.
        Nothing to do.
        Complete!

        """
    /// The package probe's output once httpd and PHP 8.2 from the topic are installed
    /// (`rpm -q`, or `--whatprovides` for tar and gzip, which the image's base package provides).
    static let installedProbe = "--installed\n" + [
        "httpd\t2.4.71-1~deb12u1.amzn2", "php\t8.2.36-1~deb12u1.amzn2", "php-mysqlnd\t8.2.36-1~deb12u1.amzn2",
        "php-mbstring\t8.2.36-1~deb12u1.amzn2", "php-xml\t8.2.36-1~deb12u1.amzn2", "php-fpm\t8.2.36-1~deb12u1.amzn2",
        "tar\t2023.6.20241212-1.amzn2023", "gzip\t2023.6.20241212-1.amzn2023"].joined(separator: "\n") + "\n"

    var facts: Facts { FactsGatherer.parse(Self.factsOutput) }

    func context(_ connection: any Connection, check: Bool = false) -> TaskContext {
        TaskContext(hostName: "al2", connection: connection, facts: facts, become: true, checkMode: check, diffMode: false,
                    variables: [:], baseDirectory: "/tmp", renderTemplate: { s, _ in try TemplateEngine.render(s, variables: [:]) },
                    connectionTo: { _ in throw ModuleError("none") }, playHosts: ["al2"], warn: { _ in })
    }

    func testFactsChooseAmazonLinux2YumHttpdApacheAndSystemd() throws {
        XCTAssertEqual(facts.distribution, .amazonLinux2)
        XCTAssertEqual(facts.packageManager, .yum, "the distribution decides, not the dnf on the PATH")
        XCTAssertEqual(facts.initSystem, .systemd)
        let v = facts.variables
        XCTAssertEqual(v["os_name"], .string("Amazon Linux 2"))
        XCTAssertEqual(v["ansible_distribution"], .string("Amazon"))
        XCTAssertEqual(v["ansible_distribution_major_version"], .string("2"))
        XCTAssertEqual(v["ansible_pkg_mgr"], .string("yum"))
        XCTAssertEqual(v["ansible_os_family"], .string("RedHat"))
        let table = try WebPlaybookOSTable.variables(for: facts)
        XCTAssertEqual(table["web_server_service"], .string("httpd"))
        XCTAssertEqual(table["web_user"], .string("apache"))
        XCTAssertEqual(table["php_from_extras"], .bool(true))
    }

    func testExtrasTopicEnabledThenYumMetadataDroppedThenNothingMore() throws {
        let module = try AmazonLinuxExtrasModule(ModuleArguments(module: "amazon_linux_extras", values: ["name": .string("php8.2")]))
        let replay = ReplayConnection()
        XCTAssertEqual(AmazonLinuxExtrasModule.parseList(Self.extrasList).count, 7)
        let decision = try module.decide(ProbeResult(output: Self.extrasList, exitStatus: 0), context(replay))
        guard case .change(let summary, _, let plan, _) = decision else { return XCTFail("\(decision)") }
        XCTAssertEqual(summary, "enable php8.2")
        // Check mode decides the same from the same list, and sends nothing.
        guard case .change = try module.decide(ProbeResult(output: Self.extrasList, exitStatus: 0), context(replay, check: true)) else {
            return XCTFail("check mode must predict the enable")
        }
        XCTAssertEqual(replay.commands, [])
        let outcome = try module.apply(plan, context(replay))
        XCTAssertTrue(outcome.changed)
        XCTAssertEqual(replay.commands.count, 2, "\(replay.commands)")
        XCTAssertTrue(replay.commands[0].contains("amazon-linux-extras enable php8.2"), replay.commands[0])
        XCTAssertTrue(replay.commands[1].contains("yum clean metadata"), replay.commands[1])
        guard case .ok = try module.decide(ProbeResult(output: Self.extrasListEnabled, exitStatus: 0), context(replay)) else {
            return XCTFail("an enabled topic is as wanted")
        }
    }

    func testAllPackagesUpToDateIsYumUpdateAndNothingOutdatedIsNoChange() throws {
        let module = try PackageModule(ModuleArguments(module: "package", values: [
            "name": .string("*"), "state": .string("latest"), "update_cache": .bool(true), "cache_valid_time": .int(3600)]))
        let replay = ReplayConnection()
        let probe = try XCTUnwrap(try module.probe(context(replay)))
        XCTAssertTrue(probe.contains("yum -q check-update"), probe)
        XCTAssertFalse(probe.contains("dnf -q"), probe)   // (dnf's cache path is read for the cache age: AL2's yum may be dnf)
        // check-update printed nothing (exit 0); the metadata is a minute old.
        guard case .ok = try module.decide(ProbeResult(output: "--upgradable\ncache_age=60\n", exitStatus: 0), context(replay)) else {
            return XCTFail("nothing outdated on fresh metadata is no change")
        }
        // One package outdated: `yum update`, the AL2 command.
        let decision = try module.decide(ProbeResult(output: "--upgradable\nhttpd\ncache_age=60\n", exitStatus: 0), context(replay))
        guard case .change(_, _, let plan, _) = decision else { return XCTFail("\(decision)") }
        let outdated = ReplayConnection(answers: [("check-update", "httpd\n"), ("update", Self.yumUpdateNothingToDo)])
        _ = try module.apply(plan, context(outdated))
        XCTAssertTrue(outdated.commands.contains { $0.contains("yum -y update --") }, "\(outdated.commands)")
        XCTAssertFalse(outdated.commands.joined().contains("dnf"), "\(outdated.commands)")
    }

    func testApacheAndPhpFromTheTopicInstalledWithYumThenAsWanted() throws {
        let names = ["httpd", "php", "php-mysqlnd", "php-mbstring", "php-xml", "php-fpm", "tar", "gzip"]
        let module = try PackageModule(ModuleArguments(module: "package", values: ["name": .list(names.map { .string($0) })]))
        let replay = ReplayConnection()
        let decision = try module.decide(ProbeResult(output: "--installed\ntar\t2023.6.20241212-1.amzn2023\ngzip\t2023.6.20241212-1.amzn2023\n", exitStatus: 0), context(replay))
        guard case .change(let summary, _, let plan, _) = decision else { return XCTFail("\(decision)") }
        XCTAssertEqual(summary, "install httpd, php, php-mysqlnd, php-mbstring, php-xml, php-fpm")
        _ = try module.apply(plan, context(replay))
        XCTAssertEqual(replay.commands.count, 1, "\(replay.commands)")
        XCTAssertTrue(replay.commands[0].contains("yum -y install -- httpd php php-mysqlnd php-mbstring php-xml php-fpm"), replay.commands[0])
        guard case .ok = try module.decide(ProbeResult(output: Self.installedProbe, exitStatus: 0), context(replay)) else {
            return XCTFail("installed packages must read as installed")
        }
    }
}
