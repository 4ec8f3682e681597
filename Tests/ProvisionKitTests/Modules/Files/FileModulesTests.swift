import Foundation
import XCTest
@testable import ProvisionKit

/// Each file module run for real through the engine on this machine: first run changes,
/// second run is ok, check mode predicts the first run and changes nothing.
final class FileModulesTests: XCTestCase {
    var local: LocalPlaybook!
    var dir: String { local.directory }

    override func setUpWithError() throws { local = try LocalPlaybook() }
    override func tearDownWithError() throws { local.remove() }

    func play(_ tasks: String, vars: String = "") -> String {
        "- hosts: machines\n  vars:\n    d: \(dir)\n\(vars)  tasks:\n" + tasks
    }

    /// check (predicts change, changes nothing) -> run (changed) -> run (ok) -> check (ok).
    func assertConverges(_ yaml: String, task: String, unchanged: () throws -> Void, changed: () throws -> Void,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        var (reporter, _) = try local.run(yaml, options: LocalPlaybook.check())
        XCTAssertEqual(reporter.status(of: task), .changed, "check mode should predict a change", file: file, line: line)
        try unchanged()
        (reporter, _) = try local.run(yaml)
        XCTAssertEqual(reporter.status(of: task), .changed, reporter.tasks.first?.message ?? "", file: file, line: line)
        try changed()
        (reporter, _) = try local.run(yaml)
        XCTAssertEqual(reporter.status(of: task), .ok, reporter.tasks.first?.message ?? "", file: file, line: line)
        (reporter, _) = try local.run(yaml, options: LocalPlaybook.check())
        XCTAssertEqual(reporter.status(of: task), .ok, file: file, line: line)
    }

    func read(_ name: String) -> String? { try? String(contentsOfFile: dir + "/" + name, encoding: .utf8) }
    func mode(_ name: String) -> Int? { (try? FileManager.default.attributesOfItem(atPath: dir + "/" + name))?[.posixPermissions] as? Int }

    func testCopyContentWithMode() throws {
        let yaml = play("""
                - name: conf
                  copy:
                    dest: "{{ d }}/app.conf"
                    content: "port = 80\\n"
                    mode: "0640"
            """)
        try assertConverges(yaml, task: "conf", unchanged: { XCTAssertNil(read("app.conf")) }, changed: {
            XCTAssertEqual(read("app.conf"), "port = 80\n")
            XCTAssertEqual(mode("app.conf"), 0o640)
        })
        // Only the mode differs: fixed without rewriting.
        chmod(dir + "/app.conf", 0o644)
        let (reporter, _) = try local.run(yaml)
        XCTAssertEqual(reporter.tasks.first?.message, "\(dir)/app.conf: mode 644 -> 640")
    }

    func testTemplateRendersValidatesAndDiffs() throws {
        try "name = {{ site | upper }}\npw = {{ pw | php_string }}\n".write(toFile: dir + "/t.j2", atomically: true, encoding: .utf8)
        let yaml = play("""
                - name: rendered
                  template:
                    src: t.j2
                    dest: "{{ d }}/out.txt"
                    validate: grep -q SITE %s
            """, vars: "    site: site\n    pw: \"it's\"\n")
        try assertConverges(yaml, task: "rendered", unchanged: { XCTAssertNil(read("out.txt")) }, changed: {
            XCTAssertEqual(read("out.txt"), "name = SITE\npw = 'it\\'s'\n")
        })
        // A failing validation leaves the old file in place and no temporary files behind.
        let bad = yaml.replacingOccurrences(of: "grep -q SITE", with: "grep -q NOPE").replacingOccurrences(of: "site: site", with: "site: other")
        let (reporter, recap) = try local.run(bad)
        XCTAssertEqual(recap.first?.1.failed, 1)
        XCTAssertTrue(reporter.tasks.first?.message?.hasPrefix("validation of \(dir)/out.txt failed, file left unchanged") ?? false, reporter.tasks.first?.message ?? "")
        XCTAssertEqual(read("out.txt"), "name = SITE\npw = 'it\\'s'\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".provision") }, [])
        // --diff shows before and after.
        var options = RunOptions()
        options.diffMode = true
        options.checkMode = true
        let (diffed, _) = try local.run(yaml.replacingOccurrences(of: "site: site", with: "site: next"), options: options)
        XCTAssertEqual(diffed.tasks.first?.diff?.before, "name = SITE\npw = 'it\\'s'\n")
        XCTAssertEqual(diffed.tasks.first?.diff?.after, "name = NEXT\npw = 'it\\'s'\n")
    }

    func testTemplateWithASecretNeverShowsItsContent() throws {
        try "pw = {{ db_password }}\n".write(toFile: dir + "/s.j2", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.diffMode = true
        options.secretVariables = ["db_password": .secret(Secret("s3cr3t-value"))]
        let (reporter, _) = try local.run(play("""
                - name: secret file
                  template: {src: s.j2, dest: "{{ d }}/s.txt"}
            """), options: options)
        XCTAssertEqual(reporter.tasks.first?.diff?.after, "(content hidden: it holds secrets)")
        XCTAssertEqual(read("s.txt"), "pw = s3cr3t-value\n")
    }

    func testLineInFileReplacesInsertsAndRemoves() throws {
        try "<?php\nrequire 'x';\n".write(toFile: dir + "/index.php", atomically: true, encoding: .utf8)
        let yaml = play("""
                - name: marker
                  lineinfile:
                    path: "{{ d }}/index.php"
                    regexp: '^<p class="m">'
                    line: '<p class="m">{{ marker }}</p>'
                    insertbefore: BOF
            """, vars: "    marker: Sample 1a\n")
        try assertConverges(yaml, task: "marker", unchanged: { XCTAssertEqual(read("index.php"), "<?php\nrequire 'x';\n") }, changed: {
            XCTAssertEqual(read("index.php"), "<p class=\"m\">Sample 1a</p>\n<?php\nrequire 'x';\n")
        })
        _ = try local.run(yaml.replacingOccurrences(of: "Sample 1a", with: "Sample 1c"))
        XCTAssertEqual(read("index.php"), "<p class=\"m\">Sample 1c</p>\n<?php\nrequire 'x';\n")
        let (reporter, _) = try local.run(play("""
                - name: gone
                  lineinfile: {path: "{{ d }}/index.php", regexp: '^<p class="m">', state: absent}
            """))
        XCTAssertEqual(reporter.status(of: "gone"), .changed)
        XCTAssertEqual(read("index.php"), "<?php\nrequire 'x';\n")
    }

    func testLineEditMatchesAnsible() {
        func edit(_ content: String, line: String?, regexp: String? = nil, present: Bool = true, place: LineEdit.Place = .end, backrefs: Bool = false) -> String {
            LineEdit(line: line, regexp: regexp.map { try! NSRegularExpression(pattern: $0, options: [.anchorsMatchLines]) },
                     present: present, place: place, backrefs: backrefs).apply(to: content)
        }
        XCTAssertEqual(edit("a\nb\n", line: "c"), "a\nb\nc\n")
        XCTAssertEqual(edit("a\nb", line: "c"), "a\nb\nc\n")
        XCTAssertEqual(edit("", line: "c"), "c\n")
        XCTAssertEqual(edit("a\nb\n", line: "b"), "a\nb\n")
        XCTAssertEqual(edit("x=1\ny=2\nx=3\n", line: "x=9", regexp: "^x="), "x=1\ny=2\nx=9\n", "the last match is replaced")
        XCTAssertEqual(edit("a\nb\n", line: "z", regexp: "^q", place: .after(try! NSRegularExpression(pattern: "^a"))), "a\nz\nb\n")
        XCTAssertEqual(edit("a\nb\n", line: "z", place: .before(try! NSRegularExpression(pattern: "^b"))), "a\nz\nb\n")
        XCTAssertEqual(edit("port=80\n", line: "port=\\1 # kept", regexp: "^port=(\\d+)$", backrefs: true), "port=80 # kept\n")
        XCTAssertEqual(edit("a\n", line: "x", regexp: "^nomatch", backrefs: true), "a\n")
        XCTAssertEqual(edit("a\nb\na\n", line: "a", present: false), "b\n")
    }

    func testFileDirectoryLinkAbsent() throws {
        let yaml = play("""
                - name: tree
                  file: {path: "{{ d }}/a/b", state: directory, mode: "0750"}
                - name: link
                  file: {path: "{{ d }}/ln", src: "{{ d }}/a/b", state: link}
            """)
        var (reporter, _) = try local.run(yaml)
        XCTAssertEqual(reporter.tasks.map(\.status), [.changed, .changed])
        XCTAssertEqual(mode("a/b"), 0o750)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/ln"), dir + "/a/b")
        (reporter, _) = try local.run(yaml)
        XCTAssertEqual(reporter.tasks.map(\.status), [.ok, .ok])
        (reporter, _) = try local.run(play("""
                - name: gone
                  file: {path: "{{ d }}/a", state: absent}
            """))
        XCTAssertEqual(reporter.status(of: "gone"), .changed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/a"))
    }

    func testFileRecurseFindsOneMismatchDeepInATree() throws {
        try FileManager.default.createDirectory(atPath: dir + "/w/x/y", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/w/x/y/f", contents: Data())
        let yaml = play("""
                - name: owned
                  file: {path: "{{ d }}/w", state: directory, owner: nobody, recurse: true}
            """)
        var (reporter, _) = try local.run(yaml)
        XCTAssertEqual(reporter.status(of: "owned"), .changed)
        (reporter, _) = try local.run(yaml)
        XCTAssertEqual(reporter.status(of: "owned"), .ok)
        chown(dir + "/w/x/y/f", 0, 0)
        (reporter, _) = try local.run(yaml)
        XCTAssertEqual(reporter.status(of: "owned"), .changed, "a single file deep in the tree must be found")
    }

    func testUnarchiveWritesItsMarkerLastAndRedoesAnInterruptedUnpack() throws {
        let source = dir + "/src/wordpress"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try "<?php echo 1;\n".write(toFile: source + "/index.php", atomically: true, encoding: .utf8)
        XCTAssertEqual(try LocalConnection().run("tar -C \(dir)/src -czf \(dir)/wp.tar.gz wordpress").exitStatus, 0)
        try FileManager.default.createDirectory(atPath: dir + "/html", withIntermediateDirectories: true)
        let yaml = play("""
                - name: unpack
                  unarchive: {src: "{{ d }}/wp.tar.gz", dest: "{{ d }}/html", strip_components: 1, owner: nobody}
            """)
        try assertConverges(yaml, task: "unpack", unchanged: { XCTAssertNil(read("html/index.php")) }, changed: {
            XCTAssertEqual(read("html/index.php"), "<?php echo 1;\n")
            XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: dir + "/html/index.php"))[.ownerAccountName] as? String, "nobody")
        })
        // No marker (an unpack cut short): the next run unpacks again.
        let marker = UnarchiveModule.markerDirectory + "/" + SHA256.hex(Data((dir + "/html").utf8)).prefix(32)
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker))
        try FileManager.default.removeItem(atPath: marker)
        try FileManager.default.removeItem(atPath: dir + "/html/index.php")
        let (reporter, _) = try local.run(yaml)
        XCTAssertEqual(reporter.status(of: "unpack"), .changed)
        XCTAssertEqual(read("html/index.php"), "<?php echo 1;\n")
        try? FileManager.default.removeItem(atPath: marker)
    }

    func testUnarchiveChecksumMismatchFailsAndLeavesNoMarker() throws {
        try FileManager.default.createDirectory(atPath: dir + "/html", withIntermediateDirectories: true)
        XCTAssertEqual(try LocalConnection().run("tar -C \(dir) -czf \(dir)/a.tar.gz html").exitStatus, 0)
        let (reporter, recap) = try local.run(play("""
                - name: unpack
                  unarchive:
                    src: "{{ d }}/a.tar.gz"
                    dest: "{{ d }}/html"
                    remote_src: true
                    checksum: "sha256:\(String(repeating: "0", count: 64))"
            """))
        XCTAssertEqual(recap.first?.1.failed, 1)
        XCTAssertTrue(reporter.tasks.first?.message?.contains("checksum mismatch") ?? false, reporter.tasks.first?.message ?? "")
        let marker = UnarchiveModule.markerDirectory + "/" + SHA256.hex(Data((dir + "/html").utf8)).prefix(32)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }
}
