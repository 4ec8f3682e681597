import Foundation
import XCTest

@testable import Transport

/// known_hosts is parsed once per run, and a changed file (a key appended by
/// --accept-new-host-keys) is parsed again.
final class KnownHostsCacheTests: XCTestCase {
    let key = "AAAAC3NzaC1lZDI1NTE5AAAAIF7g0I9PYvcwZlsc9CoaP4PZbS0xG23NxLBaTeQoL1Rm"

    func testReusesTheParseUntilTheFileChanges() throws {
        let path = NSTemporaryDirectory() + "scale-known-hosts-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cache = KnownHostsCache()
        XCTAssertEqual(try cache.knownHosts(at: path).entries.count, 0, "a missing file is an empty one")
        try "web-1 ssh-ed25519 \(key)\n".write(toFile: path, atomically: false, encoding: .utf8)
        XCTAssertEqual(try cache.knownHosts(at: path).entries(for: "web-1").count, 1)
        XCTAssertEqual(try cache.knownHosts(at: path).entries(for: "web-1").count, 1)
        try KnownHosts.append(name: "web-2", keyType: "ssh-ed25519", key: [UInt8](Data(base64Encoded: key)!), toFile: path)
        XCTAssertEqual(try cache.knownHosts(at: path).entries(for: "web-2").count, 1, "the appended key is seen")
    }
}
