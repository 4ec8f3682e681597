import Foundation
import XCTest
@testable import Modules
@testable import Transport

/// `ansible_default_ipv4` and the other gathered facts: from /proc as captured on a lab host
/// (route and fib_trie), and from this machine through the real facts script.
final class DefaultIPv4Tests: XCTestCase {
    /// /proc/net/route and fib_trie's Main section on web-1 of the lab (10.0.10.10/16 via 10.0.0.1).
    static let route = [
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
        "eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0",
        "eth0\t0000000A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0",
    ]
    static let trie = [
        "Main:", "+-- 0.0.0.0/0 3 0 5", "|-- 0.0.0.0", "/0 universe UNICAST", "+-- 10.0.0.0/16 2 0 2",
        "|-- 10.0.0.0", "/16 link UNICAST", "|-- 10.0.10.10", "/32 host LOCAL", "|-- 10.0.255.255", "/32 link BROADCAST",
        "+-- 127.0.0.0/8 2 0 2", "|-- 127.0.0.1", "/32 host LOCAL",
    ]

    func testTheDefaultRoutesInterfaceAndItsAddress() {
        let facts = DefaultIPv4.parse(route: Self.route, trie: Self.trie, macaddress: "02:42:ac:11:00:02")
        XCTAssertEqual(facts, ["interface": "eth0", "gateway": "10.0.0.1", "address": "10.0.10.10", "prefix": "16",
                               "netmask": "255.255.0.0", "network": "10.0.0.0", "broadcast": "10.0.255.255",
                               "macaddress": "02:42:ac:11:00:02"])
        XCTAssertEqual(DefaultIPv4.parse(route: Array(Self.route.prefix(1)), trie: Self.trie, macaddress: nil), [:], "no default route")
    }

    func testCPUListsCount() {
        XCTAssertEqual(FactsGatherer.cpuCount("0-3"), 4)
        XCTAssertEqual(FactsGatherer.cpuCount("0"), 1)
        XCTAssertEqual(FactsGatherer.cpuCount("0,2-5"), 5)
        XCTAssertNil(FactsGatherer.cpuCount(""))
    }

    /// The facts script on this machine: what `ip route` and `nproc` say, without running them.
    func testTheScriptOnThisMachineAgreesWithIpAndNproc() throws {
        let facts = try FactsGatherer.gather(on: LocalConnection())
        let ip = try LocalConnection().run("ip -4 route show default | head -n 1").stdoutText.split(separator: " ").map(String.init)
        if let dev = ip.firstIndex(of: "dev").map({ ip[$0 + 1] }) {
            XCTAssertEqual(facts.defaultIPv4["interface"], dev)
            XCTAssertEqual(facts.defaultIPv4["gateway"], ip.firstIndex(of: "via").map { ip[$0 + 1] })
            let address = try LocalConnection().run("ip -4 -o addr show dev \(dev) | awk '{print $4; exit}'").stdoutText
                .trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual("\(facts.defaultIPv4["address"] ?? "")/\(facts.defaultIPv4["prefix"] ?? "")", address)
        }
        XCTAssertEqual(facts.processorCount, Int(try LocalConnection().run("nproc").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertGreaterThan(facts.memoryMB ?? 0, 0)
        XCTAssertFalse(facts.kernel.isEmpty)
        XCTAssertEqual(facts.environment["HOME"], ProcessInfo.processInfo.environment["HOME"])
        let v = facts.variables
        XCTAssertEqual(v["ansible_default_ipv4"]?.dictValue?["address"]?.text, facts.defaultIPv4["address"])
        XCTAssertNotNil(v["ansible_env"]?.dictValue?["PATH"])
    }
}
