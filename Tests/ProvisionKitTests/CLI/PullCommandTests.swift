import Foundation
import XCTest

/// `provision bundle` then `provision pull` on this machine (local transport): the same run as
/// a push (variables, --json recap, --check, exit codes), and nothing runs from a bad bundle.
final class PullCommandTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "pull-cli-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/project/playbooks/group_vars", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/project/templates", withIntermediateDirectories: true)
        try """
            - hosts: web
              tasks:
                - name: marker from a template
                  template:
                    src: marker.j2
                    dest: "{{ out }}/marker"
                    mode: "0644"
                - name: fails when asked
                  command: "false"
                  when: fail_now | default(false) | bool
            """.write(toFile: dir + "/project/playbooks/site.yml", atomically: true, encoding: .utf8)
        try "greeting: hello from group_vars\n".write(toFile: dir + "/project/playbooks/group_vars/all.yml", atomically: true, encoding: .utf8)
        try "{{ greeting }} on {{ inventory_hostname }}\n".write(toFile: dir + "/project/templates/marker.j2", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func provision(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        var products = Bundle(for: PullCommandTests.self).bundleURL
        if products.pathExtension == "xctest" { products.deleteLastPathComponent() }
        let process = Process()
        process.executableURL = products.appendingPathComponent("provision")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    func recap(_ text: String) -> [String: Any]? {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .last { $0["event"] as? String == "recap" }
    }

    func changed(_ text: String, _ host: String = "localhost") -> Int? {
        ((recap(text)?["hosts"] as? [String: [String: Int]])?[host])?["changed"]
    }

    func testBundleThenPullRunsLocallyLikeAPush() throws {
        let bundled = try provision(["bundle", "-o", "site.tar", "-p", "project/playbooks/site.yml"])
        XCTAssertEqual(bundled.status, 0, bundled.stderr)
        let sum = String(bundled.stdout.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

        let check = try provision(["pull", "site.tar", "--sha256", sum, "-e", "out=\(out)", "--check", "--json"])
        XCTAssertEqual(check.status, 0, check.stderr + check.stdout)
        XCTAssertEqual(changed(check.stdout), 1, check.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/marker"), "check mode wrote the file")

        let first = try provision(["pull", "site.tar", "--sha256", sum, "-e", "out=\(out)", "--json"])
        XCTAssertEqual(first.status, 0, first.stderr + first.stdout)
        XCTAssertEqual(changed(first.stdout), 1, first.stdout)
        XCTAssertEqual(try String(contentsOfFile: out + "/marker", encoding: .utf8), "hello from group_vars on localhost\n")
        XCTAssertEqual(recap(first.stdout)?["exit_code"] as? Int, 0)

        let again = try provision(["pull", "site.tar", "-e", "out=\(out)", "--json", "--host-name", "web-7"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(changed(again.stdout, "web-7"), 1, "the host name is inventory_hostname: the content changes")
        let third = try provision(["pull", "site.tar", "-e", "out=\(out)", "--json", "--host-name", "web-7"])
        XCTAssertEqual(changed(third.stdout, "web-7"), 0, third.stdout)

        let failing = try provision(["pull", "site.tar", "-e", "out=\(out)", "-e", "fail_now=true"])
        XCTAssertEqual(failing.status, 2, failing.stdout + failing.stderr)
    }

    func testABadBundleRunsNothingAndExitsOne() throws {
        XCTAssertEqual(try provision(["bundle", "-o", "site.tar", "-p", "project/playbooks/site.yml"]).status, 0)
        let out = dir + "/out"
        let wrongSum = try provision(["pull", "site.tar", "--sha256", String(repeating: "0", count: 64), "-e", "out=\(out)"])
        XCTAssertEqual(wrongSum.status, 1)
        XCTAssertTrue(wrongSum.stderr.contains("sha256"), wrongSum.stderr)

        // Change one file inside the archive (same length, so the tar stays well formed).
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/site.tar"))
        let needle = Data("hello from".utf8)
        let at = try XCTUnwrap(bytes.range(of: needle))
        bytes.replaceSubrange(at, with: Data("HELLO FROM".utf8))
        try bytes.write(to: URL(fileURLWithPath: dir + "/tampered.tar"))
        let tampered = try provision(["pull", "tampered.tar", "-e", "out=\(out)", "--json"])
        XCTAssertEqual(tampered.status, 1)
        XCTAssertTrue(tampered.stderr.contains("playbooks/group_vars/all.yml was changed"), tampered.stderr)
        XCTAssertNil(recap(tampered.stdout), "a run started from a tampered bundle")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/marker"))

        let missing = try provision(["pull", "nothing.tar"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nothing.tar cannot be read"), missing.stderr)
    }
}
