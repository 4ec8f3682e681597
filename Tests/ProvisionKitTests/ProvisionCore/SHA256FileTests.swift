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

final class SHA256FileTests: XCTestCase {
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testIncrementalEqualsOneShotAndMatchesSha256sum() throws {
        let data = Data((0..<200_003).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        var hasher = SHA256()
        for start in stride(from: 0, to: data.count, by: 777) { hasher.update(data[start..<min(start + 777, data.count)]) }
        let incremental = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        XCTAssertEqual(incremental, SHA256.hex(data))
        let path = NSTemporaryDirectory() + "sha-\(UUID().uuidString)"
        try data.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let system = try LocalConnection().run("sha256sum \(path) | cut -c1-64").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try SHA256.hex(fileAt: path), system)
    }
}
