import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

final class VariablesTests: XCTestCase {
    func testPrecedenceOrder() throws {
        let levels: [VariablePrecedence] = [
            .inventoryAll, .inventoryGroup(depth: 1), .inventoryGroup(depth: 2), .host, .facts, .play,
            .varsFiles, .task, .registered, .loop, .extra,
        ]
        XCTAssertEqual(levels, levels.sorted())
        // Each level overrides all the ones below it, whatever order they were added in.
        for (i, winner) in levels.enumerated() {
            var scope = VariableScope()
            for level in (levels[...i]).reversed() { scope.add(["x": .string(level.name)], at: level) }
            XCTAssertEqual(scope.rawValue("x"), .string(winner.name), winner.name)
        }
        var scope = VariableScope()
        scope.add(["x": "extra"], at: .extra)
        scope.add(["x": "play", "y": "play"], at: .play)
        scope.add(["x": "all", "y": "all", "z": "all"], at: .inventoryAll)
        XCTAssertEqual(scope.rawValues, ["x": "extra", "y": "play", "z": "all"])
        XCTAssertEqual(scope.names, ["x", "y", "z"])
    }

    func testChildGroupBeatsParentAndSameLevelLaterWins() {
        var scope = VariableScope()
        scope.add(["v": "child"], at: .inventoryGroup(depth: 2))
        scope.add(["v": "parent"], at: .inventoryGroup(depth: 1))
        XCTAssertEqual(scope.rawValue("v"), "child")
        scope.add(["v": "second child"], at: .inventoryGroup(depth: 2))
        XCTAssertEqual(scope.rawValue("v"), "second child")
        scope.set("r", ["rc": 0], at: .registered)
        scope.set("r", ["rc": 1], at: .registered)
        XCTAssertEqual(scope.rawValue("r"), ["rc": 1])
    }

    func testResolvedValuesRenderTemplates() throws {
        var scope = VariableScope()
        scope.add(["host": "db", "url": "{{ host }}:3306"], at: .play)
        scope.add(["host": "override"], at: .extra)
        XCTAssertEqual(try scope.value("url"), "override:3306")
        XCTAssertEqual(try scope.value("nope"), nil)
        XCTAssertEqual(try scope.resolvedValues(), ["host": "override", "url": "override:3306"])
    }

    func testExtraVars() throws {
        let dir = try makeTempDir(["vars.yml": "a: 1\nb: [x, y]\n", "vars.json": "{\"c\": true}", "list.yml": "- 1\n"])
        let cases: [([String], [String: Value])] = [
            (["k=v"], ["k": "v"]),
            (["a=1 b='two words' c=\"x=y\""], ["a": "1", "b": "two words", "c": "x=y"]),
            (["a=1", "a=2"], ["a": "2"]),
            (["{\"n\": 1, \"f\": 1.5, \"b\": true, \"s\": \"x\", \"l\": [1], \"z\": null}"],
             ["n": 1, "f": .double(1.5), "b": true, "s": "x", "l": [1], "z": .null]),
            (["@vars.yml"], ["a": 1, "b": ["x", "y"]]),
            (["@vars.json", "c=no"], ["c": "no"]),
            (["empty="], ["empty": ""]),
        ]
        for (args, expected) in cases {
            XCTAssertEqual(try ExtraVars.parse(args, baseDirectory: dir), expected, "\(args)")
        }
        let errors: [([String], String)] = [
            (["foo"], "-e: expected key=value, @file or JSON; got 'foo'"),
            (["a=1 foo"], "-e: expected key=value, @file or JSON; got 'foo'"),
            (["1x=2"], "-e: expected key=value, @file or JSON; got '1x=2'"),
            ([""], "-e: expected key=value, @file or JSON; got an empty string"),
            (["{bad json"], "-e: invalid JSON: {bad json (quote the argument for the shell, e.g. -e '{\"port\": 8080}')"),
            (["@missing.yml"], "-e @missing.yml: file not found"),
            (["@list.yml"], "\(dir)/list.yml:1: -e @list.yml: expected a mapping of variables, found a list"),
            (["a='open"], "-e: unterminated ' quote in 'a='open'"),
        ]
        for (args, expected) in errors {
            XCTAssertEqual(errorText { try ExtraVars.parse(args, baseDirectory: dir) }, expected, "\(args)")
        }
    }
}
