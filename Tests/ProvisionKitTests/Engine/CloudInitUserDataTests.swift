import Foundation
import XCTest
import Yams
@testable import Engine
@testable import ProvisionCore

/// Issue 19, pull at boot: the user-data `provision cloud-init` prints.
final class CloudInitUserDataTests: XCTestCase {
    let bundleSum = String(repeating: "ab", count: 32)
    let binarySum = String(repeating: "cd", count: 32)

    func testIsCloudConfigYAMLThatWritesTheScriptAndRunsItOnce() throws {
        let userData = try CloudInitUserData(bundleURL: "https://example.com/site bundle.tar", bundleSHA256: bundleSum,
                                             binaryURL: "s3://my-bucket/provision", binarySHA256: binarySum,
                                             extraVariables: [("db_host", "db.example.com"), ("site_marker", "it's $HOME")])
        let text = userData.text
        XCTAssertTrue(text.hasPrefix("#cloud-config\n"))
        let document = try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any])
        XCTAssertEqual(Set(document.keys), ["write_files", "runcmd", "output"])
        let file = try XCTUnwrap((document["write_files"] as? [[String: Any]])?.first)
        XCTAssertEqual(file["path"] as? String, CloudInitUserData.scriptPath)
        XCTAssertEqual(file["permissions"] as? String, "0755")
        let script = try XCTUnwrap(file["content"] as? String)
        XCTAssertEqual(script, userData.script, "the YAML block carries the script unchanged")
        XCTAssertEqual((document["runcmd"] as? [[String]])?.first, [CloudInitUserData.scriptPath])
        XCTAssertTrue(((document["output"] as? [String: String])?["all"] ?? "").contains("/var/log/cloud-init-output.log"))

        XCTAssertTrue(script.contains("fetch s3://my-bucket/provision provision.download"))
        XCTAssertTrue(script.contains("echo '\(binarySum)  provision.download' | sha256sum -c --status"))
        XCTAssertTrue(script.contains("fetch 'https://example.com/site bundle.tar' bundle.tar"))
        XCTAssertTrue(script.contains("/usr/local/bin/provision pull --sha256 \(bundleSum) -e 'db_host=db.example.com' -e 'site_marker=it'\\''s $HOME' bundle.tar"))
        XCTAssertTrue(script.contains("/dev/console"))
        XCTAssertTrue(script.contains("exit_code=$status\" >\(CloudInitUserData.statusFile)"))
    }

    func testTheScriptIsValidShAndReportsThePullsExitCode() throws {
        let script = try CloudInitUserData(bundleURL: "https://example.com/b.tar").script
        let path = try makeTempDir() + "/boot.sh"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-n", path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "sh -n found a syntax error")
        XCTAssertFalse(script.contains("provision.download"), "no binary URL: the installed binary is used")
    }

    func testSecretsAndBadInputAreRefused() {
        for (name, make) in [
            ("secret in -e", { try CloudInitUserData(bundleURL: "https://x/b", extraVariables: [("db_admin_password", "pw")]) }),
            ("salt in -e", { try CloudInitUserData(bundleURL: "https://x/b", extraVariables: [("wp_auth_salt", "s")]) }),
            ("binary without checksum", { try CloudInitUserData(bundleURL: "https://x/b", binaryURL: "https://x/provision") }),
            ("checksum not hex", { try CloudInitUserData(bundleURL: "https://x/b", bundleSHA256: "abc") }),
            ("not a URL scheme", { try CloudInitUserData(bundleURL: "file:///etc/passwd") }),
            ("newline in URL", { try CloudInitUserData(bundleURL: "https://x/b\nrm -rf /") }),
        ] as [(String, () throws -> CloudInitUserData)] {
            XCTAssertThrowsError(try make(), name) { XCTAssertTrue($0 is InputError, "\(name): \($0)") }
        }
    }
}
