import XCTest

/// `scripts/lab addresses N` prints the addresses `lab up N` gives (the same function decides
/// both): every web host gets its own address in the lab's /16, never the gateway's or the
/// database's, and web-1..10 keep the addresses they always had.
final class LabAddressingTests: XCTestCase {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/lab").path

    func addresses(_ n: Int) throws -> [(name: String, ip: String)] {
        let out = TestProcess.run("/bin/bash", [Self.script, "addresses", String(n)],
                                  environment: ["PROVISION_LAB": "/nonexistent-lab"])
        XCTAssertEqual(out.status, 0, out.stderr)
        return out.stdout.split(separator: "\n").map { line in
            let parts = line.split(separator: " ").map(String.init)
            return (parts.first ?? "", parts.count > 1 ? parts[1] : "")
        }
    }

    func testTwoHundredFiftyHostsNeverCollide() throws {
        let list = try addresses(250)
        XCTAssertEqual(list.count, 251)
        XCTAssertEqual(list.last?.name, "db")
        XCTAssertEqual(list.last?.ip, "10.0.20.10")
        let web = list.dropLast()
        XCTAssertEqual(web.map(\.name), (1...250).map { "web-\($0)" })
        XCTAssertEqual(Set(list.map(\.ip)).count, list.count, "duplicate addresses")
        for host in web {
            let octets = host.ip.split(separator: ".").compactMap { Int($0) }
            XCTAssertEqual(octets.count, 4, host.ip)
            XCTAssertEqual(Array(octets.prefix(2)), [10, 0], "\(host.name) \(host.ip) is outside 10.0.0.0/16")
            XCTAssertNotEqual(octets[2], 0, "\(host.name) \(host.ip) is in the gateway's 10.0.0.x")
            XCTAssertTrue((1...254).contains(octets[3]), "\(host.name) \(host.ip)")
            XCTAssertNotEqual(host.ip, "10.0.20.10")
        }
    }

    func testTheFirstTenKeepTheirAddresses() throws {
        let list = try addresses(12)
        XCTAssertEqual(list.prefix(10).map(\.ip), (1...10).map { "10.0.\(9 + $0).10" })
        XCTAssertEqual(list[10].ip, "10.0.1.11")
    }

    func testOutOfRangeCountsAreRefused() {
        for n in [0, 251] {
            let out = TestProcess.run("/bin/bash", [Self.script, "addresses", String(n)])
            XCTAssertNotEqual(out.status, 0)
            XCTAssertTrue(out.stderr.contains("1..250"), out.stderr)
        }
    }
}
