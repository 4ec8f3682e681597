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
        XCTAssertTrue(script.contains("report \"exit_code=$status\""))
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

    /// The report: the status file, and the instance tag through IMDSv2 and the aws CLI (here
    /// stand-ins on PATH that record what they were asked); without the CLI only the file.
    func testTheResultGoesToTheStatusFileAndTheInstanceTag() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        let fakes = [
            "curl": "#!/bin/sh\necho \"curl $*\" >>\(dir)/calls\ncase \"$*\" in *api/token*) echo tok;; *instance-id*) echo i-0abc;; *region*) echo ap-northeast-1;; esac\n",
            "aws": "#!/bin/sh\necho \"aws $*\" >>\(dir)/calls\n",
        ]
        for (name, text) in fakes {
            try text.write(toFile: dir + "/bin/" + name, atomically: true, encoding: .utf8)
            XCTAssertEqual(chmod(dir + "/bin/" + name, 0o755), 0)
        }
        let function = CloudInitUserData.reportFunction.replacingOccurrences(of: CloudInitUserData.statusFile, with: dir + "/status")
        func report(_ status: String, path: String) throws -> String {
            let script = "say() { echo \"$*\"; }\n" + function + "\nreport \(Shell.quote(status))\n"
            let out = TestProcess.run("/bin/sh", ["-c", script], environment: ["PATH": path])
            XCTAssertEqual(out.status, 0, out.stderr)
            return try String(contentsOfFile: dir + "/status", encoding: .utf8)
        }
        XCTAssertEqual(try report("exit_code=2", path: dir + "/bin:/usr/bin:/bin"), "exit_code=2\n")
        let calls = try String(contentsOfFile: dir + "/calls", encoding: .utf8)
        XCTAssertTrue(calls.contains("-H X-aws-ec2-metadata-token: tok"), calls)
        XCTAssertTrue(calls.contains("aws ec2 create-tags --region ap-northeast-1 --resources i-0abc --tags Key=provision:pull,Value=exit_code=2"), calls)
        try FileManager.default.removeItem(atPath: dir + "/calls")
        XCTAssertEqual(try report("running", path: "/usr/bin:/bin"), "running\n", "without the aws CLI the file still says it")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/calls"), "no CLI: nothing asked")
    }
}
