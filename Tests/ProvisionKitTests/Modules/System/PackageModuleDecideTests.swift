import XCTest
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// `package` decisions from probe output alone (apt): what check mode predicts must be what
/// the real run reports, whatever the age of the host's package lists.
final class PackageModuleDecideTests: XCTestCase {
    func module(_ values: [String: Value]) throws -> PackageModule {
        try PackageModule(ModuleArguments(module: "apt", values: values))
    }

    enum Verdict: Equatable { case ok, change(refresh: Bool, upgradeAll: Bool) }

    func verdict(_ m: PackageModule, probe: String, checkMode: Bool) throws -> Verdict {
        switch try m.decide(ProbeResult(output: probe, exitStatus: 0), makeDatabaseContext(checkMode: checkMode)) {
        case .ok: return .ok
        case .change(_, _, let plan, _): return .change(refresh: plan.refreshCache, upgradeAll: plan.upgradeAll)
        case .skip: XCTFail("skip"); return .ok
        }
    }

    func testUpgradeEverythingAgainstStaleAndFreshLists() throws {
        let upgradeAll = try module(["name": .string("*"), "state": .string("latest"), "update_cache": .bool(true),
                                     "cache_valid_time": .int(3600)])
        // (cache age, upgradable lines, check mode) → verdict
        let table: [(Int, String, Bool, Verdict, UInt)] = [
            // Stale lists, nothing outdated on them: the real run refreshes, then reports ok if
            // still nothing is outdated; check mode cannot refresh, so it predicts ok.
            (7200, "", false, .change(refresh: true, upgradeAll: true), #line),
            (7200, "", true, .ok, #line),
            // Stale lists that already show an upgrade: a change either way.
            (7200, "apache2\t2.4.62", false, .change(refresh: true, upgradeAll: true), #line),
            (7200, "apache2\t2.4.62", true, .change(refresh: true, upgradeAll: true), #line),
            // Fresh lists: no refresh; the lists decide.
            (60, "", false, .ok, #line),
            (60, "", true, .ok, #line),
            (60, "apache2\t2.4.62", true, .change(refresh: false, upgradeAll: true), #line),
        ]
        for (age, upgradable, check, expected, line) in table {
            let probe = "cache_age=\(age)\n--upgradable\n\(upgradable)\n"
            XCTAssertEqual(try verdict(upgradeAll, probe: probe, checkMode: check), expected, "age \(age), '\(upgradable)', check \(check)", line: line)
        }
    }
}
