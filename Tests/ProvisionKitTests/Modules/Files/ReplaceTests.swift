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

/// ReplaceEdit against a table of what Ansible's replace does (each expected text is what
/// Python's `re` gives for the module's own steps).
final class ReplaceTests: XCTestCase {
    struct Case {
        var name: String
        var before: String
        var regexp: String
        var replace = ""
        var after: String? = nil
        var beforePattern: String? = nil
        /// nil: after/before did not match, the file is left alone.
        var expected: String?
        var count: Int
    }

    let cases: [Case] = [
        Case(name: "every match, $ at line ends", before: "a=1\nb=1\n", regexp: "=1$", replace: "=2", expected: "a=2\nb=2\n", count: 2),
        Case(name: "^ at line starts, default replace ''", before: "#x\ny\n#z\n", regexp: "^#", expected: "x\ny\nz\n", count: 2),
        Case(name: "backref \\1", before: "port=80\n", regexp: #"^port=(\d+)$"#, replace: #"listen \1"#, expected: "listen 80\n", count: 1),
        Case(name: "backref \\g<1> before a digit", before: "x=8\n", regexp: #"(\d)"#, replace: #"\g<1>0"#, expected: "x=80\n", count: 1),
        Case(name: "named group (?P<who>) and \\g<who>", before: "user: bob\n", regexp: #"^user: (?P<who>\w+)$"#,
             replace: #"owner: \g<who>"#, expected: "owner: bob\n", count: 1),
        Case(name: "(?P=name) backreference", before: "x\n", regexp: #"(?P<q>x)(?P=q)?"#, replace: #"[\g<q>]"#, expected: "[x]\n", count: 1),
        Case(name: "after: only what follows", before: "[a]\nk=1\n[b]\nk=1\n", regexp: "^k=1", replace: "k=2", after: #"\[b\]"#,
             expected: "[a]\nk=1\n[b]\nk=2\n", count: 1),
        Case(name: "before: only what precedes", before: "[a]\nk=1\n[b]\nk=1\n", regexp: "^k=1", replace: "k=2", beforePattern: #"\[b\]"#,
             expected: "[a]\nk=2\n[b]\nk=1\n", count: 1),
        Case(name: "after and before: the first section only (lazy)", before: "k=1\n<x>\nk=1\n</x>\n<x>\nk=1\n</x>\n", regexp: "^k=1",
             replace: "k=2", after: "<x>", beforePattern: "</x>", expected: "k=1\n<x>\nk=2\n</x>\n<x>\nk=1\n</x>\n", count: 1),
        Case(name: "after: greedy to the end of the file", before: "k=1\n<x>\nk=1\n</x>\n<x>\nk=1\n</x>\n", regexp: "^k=1", replace: "k=2",
             after: "<x>", expected: "k=1\n<x>\nk=2\n</x>\n<x>\nk=2\n</x>\n", count: 2),
        Case(name: "before: greedy from the start of the file to the last", before: "k=1\n<x>\nk=1\n</x>\n<x>\nk=1\n</x>\n", regexp: "^k=1",
             replace: "k=2", beforePattern: "</x>", expected: "k=2\n<x>\nk=2\n</x>\n<x>\nk=2\n</x>\n", count: 3),
        Case(name: "^ matches at the start of the section, mid-line", before: "ab", regexp: "^b", replace: "X", after: "a", expected: "aX", count: 1),
        Case(name: "after not found: left alone", before: "k=1\n", regexp: "^k=1", replace: "k=2", after: "zz", expected: nil, count: 0),
        Case(name: "no match", before: "a\n", regexp: "^b", replace: "c", expected: "a\n", count: 0),
        Case(name: "a match replaced by itself is no change", before: "a\n", regexp: "a", replace: "a", expected: "a\n", count: 1),
        Case(name: "only \\n ends a line: \\r$ strips CRLF", before: "a\r\nb\r\n", regexp: #"\r$"#, expected: "a\nb\n", count: 2),
        Case(name: ". does not cross lines", before: "ab\ncd\n", regexp: "b.c", replace: "X", expected: "ab\ncd\n", count: 0),
        Case(name: "\\Z is the very end (Python), not before the last newline", before: "a\n", regexp: #"\Z"#, replace: "END", expected: "a\nEND", count: 1),
        Case(name: "^b\\Z on the last line without newline", before: "a\nb", regexp: #"^b\Z"#, replace: "c", expected: "a\nc", count: 1),
        Case(name: "{ that starts no quantifier is literal", before: "# {mark} X\n", regexp: "{mark}", replace: "BEGIN", expected: "# BEGIN X\n", count: 1),
        Case(name: "a{2} is a quantifier", before: "aaa\n", regexp: "a{2}", replace: "b", expected: "ba\n", count: 1),
        Case(name: "\\n in the replacement is a newline", before: "a b\n", regexp: " ", replace: #"\n"#, expected: "a\nb\n", count: 1),
        Case(name: "$ also at the very end, as in Python", before: "a\nb\n", regexp: "$", replace: "!", expected: "a!\nb!\n!", count: 3),
        Case(name: "empty matches, Python 3.7 rules", before: "ab\n", regexp: "x*", replace: "-", expected: "-a-b-\n-", count: 4),
        Case(name: "WordPress salt line", before: "define( 'AUTH_KEY',         'put your unique phrase here' );\n",
             regexp: #"^(define\(\s*'AUTH_KEY',\s*)'put your unique phrase here'"#, replace: #"\1'abc'"#,
             expected: "define( 'AUTH_KEY',         'abc' );\n", count: 1),
        Case(name: "non-ASCII text around is kept", before: "é€ x=1 😀\n", regexp: "x=1", replace: "x=2", expected: "é€ x=2 😀\n", count: 1),
    ]

    func testTable() throws {
        for c in cases {
            let edit = try ReplaceEdit(regexp: c.regexp, replace: c.replace, after: c.after, before: c.beforePattern)
            let result = edit.apply(to: c.before)
            XCTAssertEqual(result.text, c.expected, c.name)
            if c.expected != nil { XCTAssertEqual(result.count, c.count, c.name) }
            let changed = result.text.map { !$0.utf8.elementsEqual(c.before.utf8) } ?? false
            XCTAssertEqual(result.message, changed ? "\(c.count) replacements made"
                           : (c.expected == nil ? result.message : "no replacement made"), c.name)
        }
    }

    func testPatternMessageWhenAfterDoesNotMatch() throws {
        let r = try ReplaceEdit(regexp: "x", after: "zz").apply(to: "x\n")
        XCTAssertEqual(r.message, "Pattern for before/after params did not match the given file: zz(?P<subsection>.*)")
    }

    func testTemplateEscapes() throws {
        XCTAssertEqual(try PythonRegex.parseTemplate(#"a\tb\\c\0d\.e"#), [.text("a\tb\\c\u{0}d\\.e")])
        XCTAssertEqual(try PythonRegex.parseTemplate(#"\12\g<3>\g<n>"#), [.group(12), .group(3), .named("n")])
        XCTAssertThrowsError(try PythonRegex.parseTemplate(#"\q"#))
        XCTAssertEqual(PythonRegex.translate(#"(?P<a>x)(?P=a)\Z[\Z]{x}a{1,2}"#), #"(?<a>x)\k<a>\z[\Z]\{x\}a{1,2}"#)
    }

    func testBadParametersNameTheParameterAndLine() throws {
        func problem(_ values: [String: Value]) -> String? {
            var locations: [String: SourceLocation] = [:]
            for key in values.keys { locations[key] = SourceLocation(file: "site.yml", line: 12) }
            do {
                _ = try ReplaceModule.spec.make(ModuleArguments(module: "replace", values: values, locations: locations,
                                                                taskLocation: SourceLocation(file: "site.yml", line: 10)))
                return nil
            } catch let e as InputError {
                return "\(e.location?.line ?? 0): \(e.message)"
            } catch { return "\(error)" }
        }
        XCTAssertEqual(problem(["path": "/x"]), "10: replace: missing required parameter 'regexp'")
        XCTAssertEqual(problem(["path": "/x", "regexp": "("]), "12: replace: parameter 'regexp' is not a valid regular expression: (")
        XCTAssertEqual(problem(["path": "/x", "regexp": "(a)", "replace": #"\2"#]),
                       "12: replace: parameter 'replace' refers to group 2, but the regexp has 1")
        XCTAssertEqual(problem(["path": "/x", "regexp": "(a)", "replace": #"\g<nope>"#]),
                       "12: replace: parameter 'replace' refers to group 'nope', which the regexp does not define")
        XCTAssertEqual(problem(["path": "/x", "regexp": "a", "encoding": "latin-1"]),
                       "12: replace: parameter 'encoding' 'latin-1' is not supported: replace reads and writes UTF-8 only")
        XCTAssertEqual(problem(["path": "/x", "regexp": "a", "after": "("]),
                       "12: replace: parameter 'after' does not make a valid regular expression: ((?P<subsection>.*)")
        XCTAssertNil(problem(["dest": "/x", "regexp": "a", "encoding": "UTF-8"]))
        XCTAssertNil(problem(["destfile": "/x", "regexp": "a"]))
        XCTAssertNil(problem(["name": "/x", "regexp": "a"]))
    }
}

/// replace for real on temporary files through LocalConnection.
final class ReplaceTestsOnThisMachine: XCTestCase {
    var host: FileModuleDriver!
    override func setUpWithError() throws { host = try FileModuleDriver() }
    override func tearDown() { host.remove() }

    func testConvergesWithCheckModeAndDiff() throws {
        try host.write("wp-config.php", "<?php\ndefine( 'DB_NAME', 'database_name_here' );\ndefine( 'DB_USER', 'username_here' );\n")
        let args: [String: Value] = ["path": .string(host.path("wp-config.php")), "regexp": #"'(\w+)_here'"#, "replace": #"'wp_\1'"#]
        let diffed = try host.run(ReplaceModule.spec, args, check: true, diff: true)
        XCTAssertTrue(diffed.changed)
        XCTAssertEqual(diffed.message?.hasPrefix("2 replacements made: update content of"), true, diffed.message ?? "")
        XCTAssertEqual(diffed.diff?.before, "<?php\ndefine( 'DB_NAME', 'database_name_here' );\ndefine( 'DB_USER', 'username_here' );\n")
        XCTAssertEqual(diffed.diff?.after, "<?php\ndefine( 'DB_NAME', 'wp_database_name' );\ndefine( 'DB_USER', 'wp_username' );\n")
        try host.assertConverges(ReplaceModule.spec, args, snapshot: { host.describe("wp-config.php") })
        XCTAssertEqual(host.read("wp-config.php"), "<?php\ndefine( 'DB_NAME', 'wp_database_name' );\ndefine( 'DB_USER', 'wp_username' );\n")
    }

    func testNoMatchIsOkButModeIsStillManaged() throws {
        try host.write("a.conf", "x=1\n", mode: 0o644)
        let ok = try host.run(ReplaceModule.spec, ["path": .string(host.path("a.conf")), "regexp": "^y="])
        XCTAssertFalse(ok.changed)
        let moded = try host.run(ReplaceModule.spec, ["path": .string(host.path("a.conf")), "regexp": "^y=", "mode": "0600"])
        XCTAssertTrue(moded.changed)
        XCTAssertEqual(try host.shell("stat -c %a \(host.path("a.conf"))"), "600\n")
        XCTAssertEqual(host.read("a.conf"), "x=1\n")
    }

    func testAfterNotMatchingLeavesTheFile() throws {
        try host.write("a.conf", "x=1\n")
        let r = try host.run(ReplaceModule.spec, ["path": .string(host.path("a.conf")), "regexp": "x", "replace": "y", "after": "nothere"])
        XCTAssertFalse(r.changed)
        XCTAssertEqual(r.message, "Pattern for before/after params did not match the given file: nothere(?P<subsection>.*)")
        XCTAssertEqual(host.read("a.conf"), "x=1\n")
    }

    func testMissingFileAndDirectoryFailWithAnsiblesMessages() throws {
        let missing = host.path("nope.conf")
        XCTAssertThrowsError(try host.run(ReplaceModule.spec, ["path": .string(missing), "regexp": "x"])) { error in
            XCTAssertEqual((error as? ModuleError)?.message, "Path \(missing) does not exist !")
        }
        XCTAssertFalse(try host.run(ReplaceModule.spec, ["path": .string(missing), "regexp": "x"], check: true).changed)
        XCTAssertThrowsError(try host.run(ReplaceModule.spec, ["path": .string(host.directory), "regexp": "x"])) { error in
            XCTAssertEqual((error as? ModuleError)?.message, "Path \(host.directory) is a directory !")
        }
    }

    func testBackupAndValidate() throws {
        try host.write("a.conf", "x=1\n")
        let refused = ["path": .string(host.path("a.conf")), "regexp": "1", "replace": "2", "validate": "grep -q 3 %s"] as [String: Value]
        XCTAssertThrowsError(try host.run(ReplaceModule.spec, refused))
        XCTAssertEqual(host.read("a.conf"), "x=1\n", "a refused validation leaves the file")
        let r = try host.run(ReplaceModule.spec, ["path": .string(host.path("a.conf")), "regexp": "1", "replace": "2",
                                                  "validate": "grep -q 2 %s", "backup": true])
        XCTAssertTrue(r.changed)
        XCTAssertEqual(host.read("a.conf"), "x=2\n")
        let backup = try XCTUnwrap(r.registered["backup_file"]?.stringValue)
        XCTAssertEqual(try String(contentsOfFile: backup, encoding: .utf8), "x=1\n")
    }

    func testNonUTF8IsRefusedAndLeftAlone() throws {
        try Data([0xff, 0xfe, 0x0a]).write(to: URL(fileURLWithPath: host.path("latin")))
        XCTAssertThrowsError(try host.run(ReplaceModule.spec, ["path": .string(host.path("latin")), "regexp": "x"]))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: host.path("latin"))), Data([0xff, 0xfe, 0x0a]))
    }
}
