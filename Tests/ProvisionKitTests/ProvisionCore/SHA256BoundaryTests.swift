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

final class FilesDigestTests: XCTestCase {
    /// FIPS 180-4 / NIST example vectors.
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(String(repeating: "a", count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every length around the block and padding boundaries, against the host's sha256sum.
    func testAgreesWithSha256sumAcrossBoundaries() throws {
        let connection = LocalConnection()
        for length in [1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000] {
            let data = Data((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            let r = try connection.run("sha256sum", stdin: data)
            XCTAssertEqual(SHA256.hex(data), String(r.stdoutText.prefix(64)), "length \(length)")
        }
    }

    func testIncrementalUpdatesAndFilesMatchOneShot() throws {
        let data = Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        var d = SHA256()
        var offset = 0
        for size in [1, 3, 63, 64, 65, 200, 1000] {
            d.update(data[offset..<offset + size])
            offset += size
        }
        d.update(data[offset...])
        XCTAssertEqual(SHA256.hexString(d.finalize()), SHA256.hex(data))
        let path = NSTemporaryDirectory() + "digest-\(UUID().uuidString)"
        try data.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try SHA256.hex(fileAt: path), SHA256.hex(data))
        XCTAssertEqual(try LocalDigests.shared.sha256(of: path), SHA256.hex(data))
    }
}

final class FilesModeTests: XCTestCase {
    func args(_ mode: Value) -> ModuleArguments { ModuleArguments(module: "file", values: ["mode": mode]) }

    func testParsing() throws {
        XCTAssertEqual(try FileMode.parse(args("0644"), "mode"), .octal(0o644))
        XCTAssertEqual(try FileMode.parse(args("750"), "mode"), .octal(0o750))
        XCTAssertEqual(try FileMode.parse(args(.int(644)), "mode"), .octal(0o644))
        XCTAssertEqual(try FileMode.parse(args("u=rwX,g=rX,o="), "mode"), .symbolic("u=rwX,g=rX,o="))
        XCTAssertThrowsError(try FileMode.parse(args("0999"), "mode"))
        XCTAssertThrowsError(try FileMode.parse(args("u=rwz"), "mode"))
        XCTAssertThrowsError(try FileMode.parse(args("q+r"), "mode"))
        XCTAssertNil(try FileMode.parse(ModuleArguments(module: "file", values: [:]), "mode"))
    }

    /// Symbolic modes resolve as chmod resolves them: checked against the real chmod.
    func testSymbolicModesAgreeWithChmod() throws {
        let connection = LocalConnection()
        let dir = NSTemporaryDirectory() + "modes-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try connection.run("mkdir -p \(Shell.quote(dir))/d && touch \(Shell.quote(dir))/f")
        let cases = ["u=rwX,g=rX,o=", "a+x", "go-w", "u+s,g=u", "o=t", "u=rw,g=r,o=r", "a=rwx,o-rwx", "g+X", "ug=rw,o-r"]
        for symbolic in cases {
            for start in [0o644, 0o755, 0o600, 0o700, 0o640] {
                for (name, isDirectory) in [("d", true), ("f", false)] {
                    let p = Shell.quote(dir + "/" + name)
                    let out = try connection.run("chmod u-s,g-s,o-t \(p) && chmod \(FileMode.format(start)) \(p) && chmod \(Shell.quote(symbolic)) \(p) && stat -c %a \(p)").stdoutText
                    let expected = Int(out.trimmingCharacters(in: .whitespacesAndNewlines), radix: 8)
                    XCTAssertEqual(FileMode.symbolic(symbolic).resolve(current: start, isDirectory: isDirectory), expected,
                                   "\(symbolic) on \(FileMode.format(start)) \(name)")
                }
            }
        }
    }

    func testFormat() {
        XCTAssertEqual(FileMode.format(0o644), "0644")
        XCTAssertEqual(FileMode.format(0o4755), "4755")
        XCTAssertEqual(FileMode.format(0), "0000")
    }
}
