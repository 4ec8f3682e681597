import Foundation
import XCTest

/// Issue 19's 100-host smoke: one fresh host provisioned with the README's call, 99 more
/// launched from its image (as an Auto Scaling group launches from an AMI), then the no-op
/// on all 100 at once: nothing changes, nobody is unreachable. The full numbers, against
/// the floor, come from `benchmarks/run --scale`.
final class FleetScaleLabTests: XCTestCase {
    var fleet: FreshInstances!

    override func setUpWithError() throws { fleet = try FreshInstances(kind: "tini") }
    override func tearDown() { fleet?.destroyAll() }

    func testAHundredHostsFromOneImageChangeNothingOnARerun() throws {
        _ = try fleet.launchFresh("fleet-1")
        let first = fleet.readmeCall(["fleet-1"], site: "fleet")
        XCTAssertEqual(first.status, 0, first.all.suffix(3000).description)
        let others = (2...100).map { "fleet-\($0)" }
        let began = Date()
        fleet.launchShared(others, from: "fleet-1")
        print("fleet: launched 99 hosts from fleet-1's image in \(Int(Date().timeIntervalSince(began))) s")
        let started = Date()
        let rerun = fleet.readmeCall(["fleet-1"] + others, site: "fleet")
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(rerun.status, 0, rerun.all.suffix(3000).description)
        let recap = Lab.recap(rerun.stdout)
        XCTAssertEqual(recap.count, 100, "every host in the recap")
        XCTAssertEqual(recap.filter { $0.value["changed"] != 0 }.map(\.key).sorted(), [], "a re-run on an image of a provisioned host changed something")
        XCTAssertEqual(recap.filter { $0.value["unreachable"] != 0 || $0.value["failed"] != 0 }.map(\.key).sorted(), [])
        print(String(format: "fleet: no-op on 100 hosts in %.2f s", seconds))
    }
}
