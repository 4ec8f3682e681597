import Foundation
import XCTest
@testable import Engine
@testable import Transport

/// Per-host phase durations: accumulated from every host thread, and reported by a run
/// through the real engine on this machine (LocalConnection: a real shell and real files).
final class HostPhasesTests: XCTestCase {
    func testTheClockAddsEachPhaseOfEachHostAlsoWhenTheBodyThrows() {
        let clock = PhaseClock()
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            clock.add(0.01, to: i % 2 == 0 ? .probe : .apply, of: i % 4 < 2 ? "web-1" : "web-2")
        }
        XCTAssertEqual(clock.all["web-1"]?.probe ?? 0, 0.5, accuracy: 1e-9)
        XCTAssertEqual(clock.all["web-1"]?.apply ?? 0, 0.5, accuracy: 1e-9)
        XCTAssertEqual(clock.all["web-2"]?.probe ?? 0, 0.5, accuracy: 1e-9)
        XCTAssertNil(clock.all["web-3"])
        XCTAssertThrowsError(try clock.time(.connect, of: "web-3") { () throws -> Void in
            usleep(20_000)
            throw ConnectionError.protocolError(host: "web-3", message: "refused")
        })
        XCTAssertGreaterThanOrEqual(clock.all["web-3"]?.connect ?? 0, 0.02, "a failed connect still took its time")
    }

    func testARunReportsWhereEachHostsTimeWent() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let file = local.directory + "/marker"
        let (reporter, _) = try local.run("""
            - hosts: machines
              tasks:
                - name: a file
                  copy: {dest: \(file), content: "x\\n"}
                - name: a slow command
                  command: sleep 0.2
            """, hosts: ["one", "two"])
        let phases = try XCTUnwrap(reporter.phases)
        XCTAssertEqual(Set(phases.keys), ["one", "two"])
        for (host, p) in phases {
            XCTAssertGreaterThan(p.facts, 0, host)
            XCTAssertGreaterThan(p.probe, 0, "\(host): the copy task's probe")
            XCTAssertGreaterThanOrEqual(p.apply, 0.2, "\(host): the command's 0.2 s is apply time")
            XCTAssertLessThan(p.probe + p.facts, 0.2, "\(host): the command is not counted as a probe")
        }
    }
}
