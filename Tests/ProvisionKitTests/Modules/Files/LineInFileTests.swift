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

/// LineEdit against a table of Ansible lineinfile behaviours.
final class FilesLineEditTests: XCTestCase {
    struct Case {
        var name: String
        var before: String
        var edit: LineEdit
        var after: String
        var changed: Bool
    }

    let cases: [Case] = [
        Case(name: "append at EOF", before: "a\nb\n", edit: LineEdit(line: "c"), after: "a\nb\nc\n", changed: true),
        Case(name: "already present", before: "a\nc\n", edit: LineEdit(line: "c"), after: "a\nc\n", changed: false),
        Case(name: "last regexp match replaced", before: "x=1\ny\nx=2\n", edit: LineEdit(line: "x=3", regexp: "^x="), after: "x=1\ny\nx=3\n", changed: true),
        Case(name: "firstmatch replaces the first", before: "x=1\ny\nx=2\n", edit: LineEdit(line: "x=3", regexp: "^x=", firstMatch: true), after: "x=3\ny\nx=2\n", changed: true),
        Case(name: "regexp matched and already right", before: "x=3\n", edit: LineEdit(line: "x=3", regexp: "^x="), after: "x=3\n", changed: false),
        Case(name: "no regexp match: appended", before: "a\n", edit: LineEdit(line: "x=3", regexp: "^x="), after: "a\nx=3\n", changed: true),
        Case(name: "no regexp match but exact line there", before: "a\nx=3\nb\n", edit: LineEdit(line: "x=3", regexp: "^y"), after: "a\nx=3\nb\n", changed: false),
        Case(name: "insertbefore BOF", before: "a\n", edit: LineEdit(line: "<p>", insertBefore: "BOF"), after: "<p>\na\n", changed: true),
        Case(name: "insertafter BOF", before: "a\n", edit: LineEdit(line: "<p>", insertAfter: "BOF"), after: "<p>\na\n", changed: true),
        Case(name: "regexp wins over insertbefore BOF", before: "a\n<p>old</p>\n",
             edit: LineEdit(line: "<p>new</p>", regexp: "^<p>", insertBefore: "BOF"), after: "a\n<p>new</p>\n", changed: true),
        Case(name: "insertafter: after the last match", before: "[s]\na\n[s]\nb\n", edit: LineEdit(line: "new", insertAfter: "^\\[s\\]"),
             after: "[s]\na\n[s]\nnew\nb\n", changed: true),
        Case(name: "insertafter firstmatch", before: "[s]\na\n[s]\nb\n", edit: LineEdit(line: "new", insertAfter: "^\\[s\\]", firstMatch: true),
             after: "[s]\nnew\na\n[s]\nb\n", changed: true),
        Case(name: "insertafter: the line already follows", before: "[s]\nnew\n", edit: LineEdit(line: "new", insertAfter: "^\\[s\\]"),
             after: "[s]\nnew\n", changed: false),
        Case(name: "insertafter the last line", before: "a\n[s]\n", edit: LineEdit(line: "new", insertAfter: "^\\[s\\]"), after: "a\n[s]\nnew\n", changed: true),
        Case(name: "insertbefore regexp", before: "a\nb\n", edit: LineEdit(line: "n", insertBefore: "^b"), after: "a\nn\nb\n", changed: true),
        Case(name: "insertbefore regexp on the first line", before: "b\n", edit: LineEdit(line: "n", insertBefore: "^b"), after: "n\nb\n", changed: true),
        Case(name: "insertafter without match goes to EOF", before: "a\n", edit: LineEdit(line: "n", insertAfter: "^zz"), after: "a\nn\n", changed: true),
        Case(name: "no final newline before appending", before: "a", edit: LineEdit(line: "b"), after: "a\nb\n", changed: true),
        Case(name: "exact line without final newline gets one", before: "a\nb", edit: LineEdit(line: "b", regexp: "^b"), after: "a\nb\n", changed: true),
        Case(name: "empty file", before: "", edit: LineEdit(line: "x"), after: "x\n", changed: true),
        Case(name: "backrefs", before: "port=80\n", edit: LineEdit(line: "listen=\\1", regexp: "^port=(\\d+)$", backrefs: true), after: "listen=80\n", changed: true),
        Case(name: "backrefs by name", before: "port=80\n", edit: LineEdit(line: "listen=\\g<p>", regexp: "^port=(?<p>\\d+)", backrefs: true), after: "listen=80\n", changed: true),
        Case(name: "Python's named group", before: "port=80\n", edit: LineEdit(line: "listen=\\g<p>", regexp: "^port=(?P<p>\\d+)", backrefs: true), after: "listen=80\n", changed: true),
        Case(name: "backrefs without a match leaves the file", before: "a\n", edit: LineEdit(line: "listen=\\1", regexp: "^port=(\\d+)", backrefs: true), after: "a\n", changed: false),
        Case(name: "search_string replaces", before: "define('X', 1);\nz\n", edit: LineEdit(line: "define('X', 2);", searchString: "define('X'"),
             after: "define('X', 2);\nz\n", changed: true),
        Case(name: "absent by regexp", before: "a\n#x\nb\n#y\n", edit: LineEdit(regexp: "^#", state: .absent), after: "a\nb\n", changed: true),
        Case(name: "absent by line", before: "a\nb\n", edit: LineEdit(line: "b", state: .absent), after: "a\n", changed: true),
        Case(name: "absent, nothing matches", before: "a\n", edit: LineEdit(regexp: "^#", state: .absent), after: "a\n", changed: false),
        // Ansible compares the stored line, ending included, with line + "\n": a CRLF line is rewritten.
        Case(name: "CRLF exact line rewritten with LF, others kept", before: "a\r\nb\r\n", edit: LineEdit(line: "b"), after: "a\r\nb\n", changed: true),
    ]

    func testTable() throws {
        for c in cases {
            let result = try c.edit.apply(to: c.before)
            XCTAssertEqual(result.text, c.after, c.name)
            XCTAssertEqual(result.changed, c.changed, c.name)
        }
    }

    func testRejectsBadParameters() {
        func make(_ values: [String: Value]) throws { _ = try LineInFileModule.spec.make(ModuleArguments(module: "lineinfile", values: values)) }
        XCTAssertThrowsError(try make(["path": "/x"]), "present needs line")
        XCTAssertThrowsError(try make(["path": "/x", "line": "a", "backrefs": true]), "backrefs needs regexp")
        XCTAssertThrowsError(try make(["path": "/x", "line": "a", "regexp": "("]), "bad regexp")
        XCTAssertThrowsError(try make(["path": "/x", "line": "a", "insertafter": "EOF", "insertbefore": "BOF"]))
        XCTAssertNoThrow(try make(["path": "/x", "regexp": "^#", "state": "absent"]))
    }
}

/// lineinfile for real on temporary files through LocalConnection.
final class FilesLineInFileTests: XCTestCase {
    var host: FileModuleDriver!
    override func setUpWithError() throws { host = try FileModuleDriver() }
    override func tearDown() { host.remove() }

    func testSiteMarkerAtBOFConvergesAndIsReplacedInPlace() throws {
        try host.write("index.php", "<?php\nrequire __DIR__ . '/wp-blog-header.php';\n")
        let args: [String: Value] = ["path": .string(host.path("index.php")), "regexp": "^<p class=\"site-marker\">",
                                     "line": "<p class=\"site-marker\">Sample 1a</p>", "insertbefore": "BOF"]
        try host.assertConverges(LineInFileModule.spec, args, snapshot: { host.describe("index.php") })
        XCTAssertEqual(host.read("index.php"), "<p class=\"site-marker\">Sample 1a</p>\n<?php\nrequire __DIR__ . '/wp-blog-header.php';\n")
        var changed = args
        changed["line"] = "<p class=\"site-marker\">Sample 1b</p>"
        let diffed = try host.run(LineInFileModule.spec, changed, check: true, diff: true)
        XCTAssertTrue(diffed.changed)
        XCTAssertEqual(diffed.diff?.before?.hasPrefix("<p class=\"site-marker\">Sample 1a</p>\n"), true)
        XCTAssertEqual(diffed.diff?.after?.hasPrefix("<p class=\"site-marker\">Sample 1b</p>\n<?php"), true)
        try host.run(LineInFileModule.spec, changed)
        XCTAssertEqual(host.read("index.php")?.components(separatedBy: "site-marker").count, 2, "replaced, not added")
        let remove: [String: Value] = ["path": .string(host.path("index.php")), "regexp": "^<p class=\"site-marker\">", "state": "absent"]
        try host.assertConverges(LineInFileModule.spec, remove, snapshot: { host.describe("index.php") })
        XCTAssertEqual(host.read("index.php"), "<?php\nrequire __DIR__ . '/wp-blog-header.php';\n")
    }

    func testMissingFileFailsOrIsCreated() throws {
        let p = host.path("new.conf")
        XCTAssertThrowsError(try host.run(LineInFileModule.spec, ["path": .string(p), "line": "a=1"]))
        XCTAssertFalse(try host.run(LineInFileModule.spec, ["path": .string(p), "line": "a=1", "state": "absent"]).changed)
        try host.assertConverges(LineInFileModule.spec, ["path": .string(p), "line": "a=1", "create": true, "mode": "0600"],
                                 snapshot: { host.describe("new.conf") })
        XCTAssertEqual(try host.shell("stat -c %a \(p)"), "600\n")
        XCTAssertEqual(host.read("new.conf"), "a=1\n")
    }

    func testNonTextBytesAroundAreKeptExactly() throws {
        let bytes = Data("first\n".utf8) + Data([0xE2, 0x82, 0xAC]) + Data("\nlast".utf8)
        try bytes.write(to: URL(fileURLWithPath: host.path("u.txt")))
        try host.run(LineInFileModule.spec, ["path": .string(host.path("u.txt")), "line": "added"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: host.path("u.txt"))), bytes + Data("\nadded\n".utf8))
        try Data([0xff, 0xfe, 0x0a]).write(to: URL(fileURLWithPath: host.path("latin")))
        XCTAssertThrowsError(try host.run(LineInFileModule.spec, ["path": .string(host.path("latin")), "line": "x"]))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: host.path("latin"))), Data([0xff, 0xfe, 0x0a]))
    }

    func testOwnerAndModeOnlyChangeIsReported() throws {
        try host.write("c", "a=1\n", mode: 0o644)
        let outcome = try host.run(LineInFileModule.spec, ["path": .string(host.path("c")), "line": "a=1", "mode": "0640"])
        XCTAssertTrue(outcome.changed)
        XCTAssertEqual(try host.shell("stat -c %a \(host.path("c"))"), "640\n")
        XCTAssertEqual(host.read("c"), "a=1\n")
    }
}
