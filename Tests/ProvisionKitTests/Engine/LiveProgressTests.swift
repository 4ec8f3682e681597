import Foundation
import XCTest
@testable import Engine

/// The live view's model: the run's events in, at a given time the lines to draw.
final class LiveProgressTests: XCTestCase {
    func report(_ host: String, _ status: TaskStatus, ignored: Bool = false) -> RunEvent {
        .task(TaskReport(host: host, play: "p", task: "t", status: status, changed: status == .changed, duration: 0,
                         message: nil, diff: nil, ignoredError: ignored))
    }

    func testCountsAndTheSlowestRunningHostsFirst() {
        var live = LiveProgress()
        live.apply(.playStarted(name: "web", hosts: ["web-1", "web-2", "web-3", "web-4", "web-5"]), at: 0)
        XCTAssertEqual(live.render(at: 0), ["5 hosts: 0 done, 0 running, 5 waiting"])
        live.apply(.taskStarted(host: "web-1", task: "Apache and PHP"), at: 1)
        live.apply(.taskStarted(host: "web-2", task: "All packages up to date"), at: 2)
        live.apply(.taskStarted(host: "web-3", task: "wp-config.php rendered"), at: 3)
        live.apply(report("web-3", .changed), at: 3.5)
        live.apply(.taskStarted(host: "web-4", task: "x"), at: 3)
        live.apply(report("web-4", .failed), at: 4)
        live.apply(.hostUnreachable(host: "web-5", message: "refused"), at: 4)
        XCTAssertEqual(live.render(at: 11.5), [
            "5 hosts: 1 done, 2 running, 1 failed, 1 unreachable",
            "  web-1   10.5s  Apache and PHP",
            "  web-2    9.5s  All packages up to date",
        ])
        // An ignored failure is not a failed host; every host between tasks at the end is done.
        live.apply(report("web-1", .failed, ignored: true), at: 12)
        live.apply(report("web-2", .ok), at: 12)
        XCTAssertEqual(live.render(at: 13), ["5 hosts: 3 done, 0 running, 1 failed, 1 unreachable"])
    }

    func testAtMostTheLimitOfRunningHostsThenHowManyMore() {
        var live = LiveProgress()
        let hosts = (1...14).map { "web-\($0)" }
        live.apply(.playStarted(name: "web", hosts: hosts), at: 0)
        for (i, host) in hosts.enumerated() { live.apply(.taskStarted(host: host, task: "install"), at: Double(i)) }
        let lines = live.render(at: 20, limit: 3)
        XCTAssertEqual(lines.count, 5)
        XCTAssertEqual(lines[0], "14 hosts: 0 done, 14 running")
        XCTAssertEqual(lines[1], "  web-1   20.0s  install")
        XCTAssertEqual(lines[4], "  … and 11 more running")
    }
}
