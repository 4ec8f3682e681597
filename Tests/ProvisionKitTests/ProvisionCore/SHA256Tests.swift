import Foundation
import XCTest

@testable import ProvisionCore
@testable import Transport
@testable import Database
@testable import Cloud
@testable import Inventory
@testable import Playbook
@testable import Modules
@testable import Engine

final class SHA256Tests: XCTestCase {
    func testVectors() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(
            SHA256.hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testIncrementalMatchesOneShot() {
        let data = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        for split in [0, 1, 63, 64, 65, 127, 5000, 9999] {
            var h = SHA256()
            h.update(data.prefix(split))
            h.update(data.dropFirst(split))
            XCTAssertEqual(h.finalize(), SHA256.digest(data), "split at \(split)")
        }
        XCTAssertEqual(SHA256.digest(data).count, 32)
    }
}
