import Foundation
import XCTest
@testable import Engine

/// Issue 19: the user-data `provision cloud-init` prints passes cloud-init's own schema check
/// (`scripts/cloud-init-schema`: Debian's cloud-init 22.4, unpacked, not installed), for
/// each form of the command; and the checker refuses a broken file (so it can fail).
final class CloudInitSchemaTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    func schemaCheck(_ text: String) throws -> (status: Int32, output: String) {
        guard geteuid() == 0 else { throw Prerequisite.missing("needs root (apt-get download of cloud-init on first use)") }
        let file = try makeTempDir() + "/user-data.yml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.repository + "/scripts/cloud-init-schema", file]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    func testEveryFormOfTheUserDataIsValidCloudConfig() throws {
        let sum = String(repeating: "ab", count: 32)
        let forms = [
            try CloudInitUserData(bundleURL: "https://example.com/site.tar"),
            try CloudInitUserData(bundleURL: "s3://my-bucket/site.tar", bundleSHA256: sum, binaryURL: "s3://my-bucket/provision",
                                  binarySHA256: String(repeating: "cd", count: 32),
                                  extraVariables: [("db_host", "db.example.com"), ("site_marker", "it's \"quoted\" $HOME")]),
        ]
        for userData in forms {
            let checked = try schemaCheck(userData.text)
            XCTAssertEqual(checked.status, 0, checked.output + "\n" + userData.text)
            XCTAssertTrue(checked.output.contains("Valid cloud-config"), checked.output)
        }
    }

    func testTheCheckerRefusesABrokenFile() throws {
        let checked = try schemaCheck("#cloud-config\nruncmd: 5\n")
        XCTAssertNotEqual(checked.status, 0, checked.output)
        XCTAssertTrue(checked.output.contains("runcmd: 5 is not of type 'array'"), checked.output)
    }
}
