import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

final class YAMLDocumentTests: XCTestCase {
    func testLocationsOfEveryNode() throws {
        let doc = try YAMLDocument.loadValue(text: "a: 1\nb:\n  - x\n  - {c: d}\n", file: "f.yml")
        XCTAssertEqual(doc.location, SourceLocation(file: "f.yml", line: 1, column: 1))
        XCTAssertEqual(doc.entry("b")?.keyLocation.line, 2)
        XCTAssertEqual(doc["b"]?.items?[0].location, SourceLocation(file: "f.yml", line: 3, column: 5))
        XCTAssertEqual(doc["b"]?.items?[1]["c"]?.location, SourceLocation(file: "f.yml", line: 4, column: 9))
        XCTAssertEqual(doc.value, ["a": 1, "b": ["x", ["c": "d"]]])
        XCTAssertEqual(doc.entries?.map(\.key), ["a", "b"])
    }

    func testScalarTypes() throws {
        let cases: [(String, Value)] = [
            ("yes", true), ("No", false), ("on", true), ("true", true), ("'yes'", "yes"),
            ("42", 42), ("-7", -7), ("0644", 644), ("'0644'", "0644"), ("0x1F", 31),
            ("1.5", .double(1.5)), ("~", .null), ("null", .null), ("", .null),
            ("\"1.5\"", "1.5"), ("!!str 12", "12"), ("hello world", "hello world"), ("1.2.3", "1.2.3"),
        ]
        for (text, expected) in cases {
            let doc = try YAMLDocument.loadValue(text: "k: \(text)\n", file: "f.yml")
            XCTAssertEqual(doc["k"]?.value, expected, "k: \(text)")
        }
    }

    func testMergeKey() throws {
        let doc = try YAMLDocument.loadValue(text: "base: &b {x: 1, y: 2}\nk:\n  <<: *b\n  y: 3\n", file: "f.yml")
        XCTAssertEqual(doc["k"]?.value, ["x": 1, "y": 3])
    }

    func testErrors() {
        let cases: [(String, String)] = [
            ("a: 1\nb:\n\t- x\n", "f.yml:3: tabs are not allowed for indentation; use spaces"),
            ("a: 1\nb: 2\na: 3\n", "f.yml:3: duplicate key 'a' ('a' is already set at line 1; each key may appear only once in a mapping)"),
            ("- hosts: all\n  tasks:\n    - name: x\n      name: y\n",
             "f.yml:4: duplicate key 'name' ('name' is already set at line 3; each key may appear only once in a mapping)"),
            ("a: [1, 2\n", "f.yml:2: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 1) (check the indentation and quoting of this line and the one before)"),
            ("a: 'x\n", "f.yml:2: YAML syntax error: found unexpected end of stream (while scanning a quoted scalar at line 1) (check the indentation and quoting of this line and the one before)"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(errorText { try YAMLDocument.loadValue(text: text, file: "f.yml") }, expected, text)
        }
    }

    func testMissingFile() {
        XCTAssertEqual(errorText { try YAMLDocument.loadValue(path: "/nonexistent/x.yml") },
                       "file not found: '/nonexistent/x.yml'")
    }
}
