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

/// BlockEdit against a table of what Ansible's blockinfile does (each expected text is what
/// the module's own steps give in Python), and each result converges: applied again, no change.
final class BlockInFileTests: XCTestCase {
    struct Case {
        var name: String
        var before: String?
        var edit: BlockEdit
        var after: String
        /// nil: no change.
        var message: String?
        init(_ name: String, before: String?, edit: BlockEdit, after: String, message: String?) {
            self.name = name
            self.before = before
            self.edit = edit
            self.after = after
            self.message = message
        }
    }

    let cases: [Case] = [
        Case("EOF into a file", before: "a\nb\n", edit: BlockEdit(block: "x=1\ny=2"),
             after: "a\nb\n# BEGIN ANSIBLE MANAGED BLOCK\nx=1\ny=2\n# END ANSIBLE MANAGED BLOCK\n", message: "Block inserted"),
        Case("no final newline before EOF", before: "a", edit: BlockEdit(block: "x"),
             after: "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", message: "Block inserted"),
        Case("create: empty original", before: nil, edit: BlockEdit(block: "x\n"),
             after: "# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", message: "File created"),
        Case("replaced in place", before: "a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nb\n", edit: BlockEdit(block: "new"),
             after: "a\n# BEGIN ANSIBLE MANAGED BLOCK\nnew\n# END ANSIBLE MANAGED BLOCK\nb\n", message: "Block inserted"),
        Case("already there", before: "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", edit: BlockEdit(block: "x"),
             after: "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", message: nil),
        Case("absent removes", before: "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\nb\n", edit: BlockEdit(block: "x", present: false),
             after: "a\nb\n", message: "Block removed"),
        Case("empty block removes", before: "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\nb\n", edit: BlockEdit(block: ""),
             after: "a\nb\n", message: "Block removed"),
        Case("absent, no block", before: "a\n", edit: BlockEdit(block: "", present: false),
             after: "a\n", message: nil),
        Case("absent, no block, no final newline (Ansible adds one)", before: "a", edit: BlockEdit(block: "", present: false),
             after: "a\n", message: "Block removed"),
        Case("insertbefore BOF", before: "a\n", edit: BlockEdit(block: "x", insertBefore: "BOF"),
             after: "# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\na\n", message: "Block inserted"),
        Case("insertafter regex: after the last match", before: "[s]\na\n[s]\nb\n", edit: BlockEdit(block: "x", insertAfter: "^\\[s\\]"),
             after: "[s]\na\n[s]\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\nb\n", message: "Block inserted"),
        Case("insertbefore regex: before the last match", before: "[s]\na\n[s]\nb\n", edit: BlockEdit(block: "x", insertBefore: "^\\[s\\]"),
             after: "[s]\na\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n[s]\nb\n", message: "Block inserted"),
        Case("insertafter no match: EOF", before: "a\n", edit: BlockEdit(block: "x", insertAfter: "^zz"),
             after: "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", message: "Block inserted"),
        Case("insertbefore no match: EOF", before: "a\n", edit: BlockEdit(block: "x", insertBefore: "^zz"),
             after: "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", message: "Block inserted"),
        Case("insertafter (?m) multiline over the whole text", before: "a\n<VirtualHost>\nb\n</VirtualHost>\n", edit: BlockEdit(block: "x", insertAfter: "(?m)^<VirtualHost>\\n(?:.*\\n)*?b$"),
             after: "a\n<VirtualHost>\nb\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n</VirtualHost>\n", message: "Block inserted"),
        Case("insertbefore (?m) multiline", before: "a\nb\nc\n", edit: BlockEdit(block: "x", insertBefore: "(?m)^b\\nc$"),
             after: "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\nb\nc\n", message: "Block inserted"),
        Case("existing block stays where it is, insertbefore ignored", before: "a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\n", edit: BlockEdit(block: "new", insertBefore: "BOF"),
             after: "a\n# BEGIN ANSIBLE MANAGED BLOCK\nnew\n# END ANSIBLE MANAGED BLOCK\n", message: "Block inserted"),
        Case("custom marker and words", before: "a\n", edit: BlockEdit(block: "x", marker: "<!-- {mark} site -->", markerBegin: "start", markerEnd: "stop"),
             after: "a\n<!-- start site -->\nx\n<!-- stop site -->\n", message: "Block inserted"),
        Case("only a begin marker: a new block at EOF", before: "# BEGIN ANSIBLE MANAGED BLOCK\na\n", edit: BlockEdit(block: "x"),
             after: "# BEGIN ANSIBLE MANAGED BLOCK\na\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", message: "Block inserted"),
        Case("markers swapped", before: "# END ANSIBLE MANAGED BLOCK\nold\n# BEGIN ANSIBLE MANAGED BLOCK\nb\n", edit: BlockEdit(block: "x"),
             after: "# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\nb\n", message: "Block inserted"),
        Case("prepend_newline and append_newline", before: "a\nb\n", edit: BlockEdit(block: "x", insertAfter: "^a", appendNewline: true, prependNewline: true),
             after: "a\n\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n\nb\n", message: "Block inserted"),
        Case("prepend_newline at BOF adds none", before: "a\n", edit: BlockEdit(block: "x", insertBefore: "BOF", appendNewline: true, prependNewline: true),
             after: "# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n\na\n", message: "Block inserted"),
        Case("append_newline at EOF adds none", before: "a\n", edit: BlockEdit(block: "x", appendNewline: true),
             after: "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", message: "Block inserted"),
        Case("CRLF lines kept, block LF", before: "a\r\nb\r\n", edit: BlockEdit(block: "x"),
             after: "a\r\nb\r\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n", message: "Block inserted"),
        Case("lone CR is a line end", before: "a\rb\n", edit: BlockEdit(block: "x", insertAfter: "^a"),
             after: "a\r\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\nb\n", message: "Block inserted"),
        Case("multi-line block with CRLF inside", before: "", edit: BlockEdit(block: "x\r\ny\n"),
             after: "# BEGIN ANSIBLE MANAGED BLOCK\nx\r\ny\n# END ANSIBLE MANAGED BLOCK\n", message: "Block inserted"),
        Case("block ending without newline gets one", before: "a\n", edit: BlockEdit(block: "x\ny"),
             after: "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\ny\n# END ANSIBLE MANAGED BLOCK\n", message: "Block inserted"),
    ]

    func testTable() throws {
        for c in cases {
            let result = try c.edit.apply(to: c.before)
            XCTAssertEqual(result.text, c.after, c.name)
            XCTAssertEqual(result.changed, c.message != nil, c.name)
            if let message = c.message { XCTAssertEqual(result.message, message, c.name) }
            let again = try c.edit.apply(to: result.text)
            XCTAssertFalse(again.changed, "second run: \(c.name)")
            XCTAssertEqual(again.text, result.text, "second run: \(c.name)")
        }
    }

    func testSplitLinesAsPythonBytes() {
        XCTAssertEqual(BlockEdit.splitLines("a\nb\r\nc\rd"), ["a\n", "b\r\n", "c\r", "d"])
        XCTAssertEqual(BlockEdit.splitLines("\r\r\n\n"), ["\r", "\r\n", "\n"])
        XCTAssertEqual(BlockEdit.splitLines(""), [])
    }

    func testBadParametersNameTheParameterAndLine() throws {
        func problem(_ values: [String: Value]) -> String? {
            var locations: [String: SourceLocation] = [:]
            for key in values.keys { locations[key] = SourceLocation(file: "site.yml", line: 12) }
            do {
                _ = try BlockInFileModule.spec.make(ModuleArguments(module: "blockinfile", values: values, locations: locations,
                                                                    taskLocation: SourceLocation(file: "site.yml", line: 10)))
                return nil
            } catch let e as InputError {
                return "\(e.location?.line ?? 0): \(e.message)"
            } catch { return "\(error)" }
        }
        XCTAssertEqual(problem(["block": "x"]), "10: blockinfile: missing required parameter 'path'")
        XCTAssertEqual(problem(["path": "/x", "insertafter": "("]), "12: blockinfile: parameter 'insertafter' is not a valid regular expression: (")
        XCTAssertEqual(problem(["path": "/x", "insertafter": "EOF", "insertbefore": "BOF"]),
                       "12: blockinfile: parameter 'insertbefore' cannot be given together with 'insertafter'")
        XCTAssertEqual(problem(["path": "/x", "state": "gone"]), "12: blockinfile: parameter 'state' must be one of present, absent, not 'gone'")
        XCTAssertEqual(problem(["path": "/x", "marker": "a\nb"]), "12: blockinfile: parameter 'marker' must be one line")
        XCTAssertNil(problem(["dest": "/x", "content": "y", "marker": "// {mark}", "create": "yes"]))
        let module = try XCTUnwrap(try BlockInFileModule.spec.make(ModuleArguments(module: "blockinfile", values: ["destfile": "/x", "content": "y"]))
                                   as? BlockInFileModule)
        XCTAssertEqual(module.path, "/x")
        XCTAssertEqual(module.edit.block, "y")
        XCTAssertEqual(module.edit.marker, "# {mark} ANSIBLE MANAGED BLOCK")
        XCTAssertTrue(module.edit.present)
    }
}

/// blockinfile for real on temporary files through LocalConnection.
final class BlockInFileTestsOnThisMachine: XCTestCase {
    var host: FileModuleDriver!
    override func setUpWithError() throws { host = try FileModuleDriver() }
    override func tearDown() { host.remove() }

    let vhost = "<VirtualHost *:80>\n  DocumentRoot /var/www/html\n</VirtualHost>\n"

    func testInsertUpdateRemoveConverge() throws {
        try host.write("site.conf", vhost)
        let p = Value.string(host.path("site.conf"))
        let args: [String: Value] = ["path": p, "insertafter": "DocumentRoot", "marker": "# {mark} provision",
                                     "block": "  <Directory /var/www/html>\n    AllowOverride All\n  </Directory>\n"]
        try host.assertConverges(BlockInFileModule.spec, args, snapshot: { host.describe("site.conf") })
        let inserted = "<VirtualHost *:80>\n  DocumentRoot /var/www/html\n# BEGIN provision\n  <Directory /var/www/html>\n    AllowOverride All\n  </Directory>\n# END provision\n</VirtualHost>\n"
        XCTAssertEqual(host.read("site.conf"), inserted)

        var changed = args
        changed["block"] = "  <Directory /var/www/html>\n    AllowOverride None\n  </Directory>\n"
        let diffed = try host.run(BlockInFileModule.spec, changed, check: true, diff: true)
        XCTAssertTrue(diffed.changed)
        XCTAssertEqual(diffed.message?.hasPrefix("Block inserted: update content of"), true, diffed.message ?? "")
        XCTAssertEqual(diffed.diff?.before, inserted)
        XCTAssertEqual(diffed.diff?.after, inserted.replacingOccurrences(of: "Override All", with: "Override None"))
        XCTAssertEqual(host.read("site.conf"), inserted, "check mode with diff changed nothing")
        try host.run(BlockInFileModule.spec, changed)
        XCTAssertEqual(host.read("site.conf"), inserted.replacingOccurrences(of: "Override All", with: "Override None"), "replaced in place, not added")

        var remove = changed
        remove["state"] = "absent"
        try host.assertConverges(BlockInFileModule.spec, remove, snapshot: { host.describe("site.conf") })
        XCTAssertEqual(host.read("site.conf"), vhost)
    }

    func testEmptyBlockRemovesTheBlock() throws {
        try host.write("a.conf", "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n")
        let r = try host.run(BlockInFileModule.spec, ["path": .string(host.path("a.conf")), "block": ""])
        XCTAssertTrue(r.changed)
        XCTAssertEqual(r.message?.hasPrefix("Block removed"), true)
        XCTAssertEqual(host.read("a.conf"), "a\n")
    }

    func testMissingFileFailsOrIsCreated() throws {
        let missing = host.path("new.conf")
        XCTAssertThrowsError(try host.run(BlockInFileModule.spec, ["path": .string(missing), "block": "x"])) { error in
            XCTAssertEqual((error as? ModuleError)?.message, "Path \(missing) does not exist !")
        }
        let absent = try host.run(BlockInFileModule.spec, ["path": .string(missing), "state": "absent", "create": true])
        XCTAssertFalse(absent.changed)
        XCTAssertEqual(absent.message, "File \(missing) not present")
        try host.assertConverges(BlockInFileModule.spec, ["path": .string(missing), "block": "x=1", "create": true, "mode": "0640"],
                                 snapshot: { host.describe("new.conf") })
        XCTAssertEqual(host.read("new.conf"), "# BEGIN ANSIBLE MANAGED BLOCK\nx=1\n# END ANSIBLE MANAGED BLOCK\n")
        XCTAssertEqual(try host.shell("stat -c %a \(missing)"), "640\n")
        XCTAssertThrowsError(try host.run(BlockInFileModule.spec, ["path": .string(host.directory), "block": "x"])) { error in
            XCTAssertEqual((error as? ModuleError)?.message, "Path \(host.directory) is a directory !")
        }
    }

    func testASecretBlockIsNeverShownInTheDiff() throws {
        try host.write("a.conf", "a\n")
        let r = try host.run(BlockInFileModule.spec, ["path": .string(host.path("a.conf")), "block": .secret(Secret("db_password=hunter2-long"))],
                             check: true, diff: true)
        XCTAssertTrue(r.changed)
        XCTAssertEqual(r.diff?.after, "[secret content: not shown]\n")
        XCTAssertFalse((r.message ?? "").contains("hunter2"))
        try host.run(BlockInFileModule.spec, ["path": .string(host.path("a.conf")), "block": .secret(Secret("db_password=hunter2-long"))])
        XCTAssertEqual(host.read("a.conf"), "a\n# BEGIN ANSIBLE MANAGED BLOCK\ndb_password=hunter2-long\n# END ANSIBLE MANAGED BLOCK\n")
    }

    func testBackupAndValidate() throws {
        try host.write("a.conf", "a\n")
        XCTAssertThrowsError(try host.run(BlockInFileModule.spec, ["path": .string(host.path("a.conf")), "block": "x",
                                                                   "validate": "grep -q nothere %s"]))
        XCTAssertEqual(host.read("a.conf"), "a\n")
        let r = try host.run(BlockInFileModule.spec, ["path": .string(host.path("a.conf")), "block": "x", "backup": true,
                                                      "validate": "grep -q BEGIN %s"])
        let backup = try XCTUnwrap(r.registered["backup_file"]?.stringValue)
        XCTAssertEqual(try String(contentsOfFile: backup, encoding: .utf8), "a\n")
        XCTAssertEqual(host.read("a.conf"), "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n")
    }
}
