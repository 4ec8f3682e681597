import Foundation
import XCTest
@testable import ProvisionCore

/// `PathText.directory(of:)` answers as `NSString.deletingLastPathComponent` does, and on the
/// one-character paths where that traps on Linux.
final class PathTextTests: XCTestCase {
    func testDirectoryOfAPath() {
        let cases: [(String, String)] = [
            ("/tmp/a.yml", "/tmp"), ("a/b/", "a"), ("a//b", "a"), ("/a", "/"), ("/", "/"), ("//", "/"),
            ("a.yml", ""), ("", ""), ("a", ""), (".", ""), ("*", ""), ("./p.yml", "."), ("../x/y", "../x"),
            ("tasks/*", "tasks"),
        ]
        for (path, directory) in cases {
            XCTAssertEqual(PathText.directory(of: path), directory, path)
        }
        // Foundation agrees wherever it does not trap (paths of two characters or more).
        for (path, _) in cases where path.count > 1 && path != "//" {  // (Foundation: "//" -> "")
            XCTAssertEqual(PathText.directory(of: path), (path as NSString).deletingLastPathComponent, path)
        }
    }
}
