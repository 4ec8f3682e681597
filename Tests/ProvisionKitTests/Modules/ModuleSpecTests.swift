import Foundation
import XCTest
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// A module's spec is the one place its parameters are declared: these tables give task
/// arguments to the real specs and check what `validate`, the preflight and the run all see.
final class ModuleSpecTests: XCTestCase {
    static let at = SourceLocation(file: "site.yml", line: 7)

    func arguments(_ module: String, _ values: [String: Value]) -> ModuleArguments {
        var locations: [String: SourceLocation] = [:]
        for (i, key) in values.keys.sorted().enumerated() { locations[key] = SourceLocation(file: "site.yml", line: 8 + i) }
        return ModuleArguments(module: module, values: values, locations: locations, taskLocation: Self.at)
    }

    func spec(_ name: String) throws -> ModuleSpec { try XCTUnwrap(ModuleRegistry.spec(named: name), name) }

    func testProblemsNameTheParameterItsLineAndWhatToDo() throws {
        let cases: [(what: String, module: String, values: [String: Value], message: String, line: Int, hint: String?)] = [
            ("required missing", "template", ["src": "a.j2"], "template: missing required parameter 'dest'", 7, nil),
            ("one of a group required", "copy", ["dest": "/x"], "copy: one of 'content', 'src' is required", 7, nil),
            ("wrong type: bool", "file", ["path": "/x", "recurse": "maybe"], "file: parameter 'recurse' must be a boolean (yes/no), not 'maybe'", 9, nil),
            ("wrong type: int", "unarchive", ["src": "a.tgz", "dest": "/x", "strip_components": "two"],
             "unarchive: parameter 'strip_components' must be an integer, not 'two'", 10, nil),
            ("wrong type: string given a list", "template", ["src": ["a", "b"], "dest": "/x"], "template: parameter 'src' must be a string, not a list", 9, nil),
            ("bad mode", "file", ["path": "/x", "mode": "0899"], "file: parameter 'mode' must be an octal mode like '0644', not '0899'", 8, nil),
            ("bad choice", "service", ["name": "nginx", "state": "strated"],
             "service: parameter 'state' must be one of started, stopped, restarted, reloaded, not 'strated'", 9, "did you mean 'started'?"),
            ("mutually exclusive", "copy", ["dest": "/x", "src": "a", "content": "b"], "copy: parameter 'content' cannot be given together with 'src'", 8, nil),
            ("mutually exclusive through an alias", "lineinfile", ["path": "/x", "line": "a", "regex": "^a", "search_string": "a"],
             "lineinfile: parameter 'search_string' cannot be given together with 'regexp'", 11, nil),
            ("unknown parameter, with a suggestion", "copy", ["dest": "/x", "content": "a", "ownr": "root"],
             "copy: unknown parameter 'ownr'", 10, "did you mean 'owner'?"),
            ("unknown parameter, nothing close", "debug", ["zzzzzzzz": "a"], "debug: unknown parameter 'zzzzzzzz'", 8, "debug takes: msg, var"),
        ]
        for c in cases {
            let problems = try spec(c.module).problems(in: arguments(c.module, c.values))
            XCTAssertEqual(problems.map(\.message), [c.message], c.what)
            XCTAssertEqual(problems.first?.location?.line, c.line, c.what)
            XCTAssertEqual(problems.first?.hint, c.hint, c.what)
            XCTAssertThrowsError(try spec(c.module).make(arguments(c.module, c.values)), c.what) { error in
                XCTAssertEqual((error as? InputError)?.message, c.message, c.what)
            }
        }
    }

    func testAcceptedArgumentsHaveNoProblems() throws {
        let cases: [(module: String, values: [String: Value])] = [
            ("file", ["dest": "/x", "state": "directory", "mode": "u=rwx,g=rx,o="]),
            ("copy", ["dest": "/x", "content": "a", "force": "no"]),
            ("package", ["pkg": ["nginx"], "update-cache": true]),
            ("mysql_user", ["user": "wp", "password": "s3cret", "ssl_ca": "/ca.pem"]),
            ("command", ["_raw_params": "ls -l", "chdir": "/tmp"]),
            ("template", ["src": "{{ name }}.j2", "dest": "/x", "force": "{{ force }}"]),
        ]
        for c in cases {
            XCTAssertEqual(try spec(c.module).problems(in: arguments(c.module, c.values)).map(\.message), [], c.module)
        }
    }

    /// A secret's value is never repeated in an error, even when it is the wrong value.
    func testASecretParameterIsMaskedInErrors() throws {
        let spec = try spec("mysql_user")
        XCTAssertTrue(try XCTUnwrap(spec.parameter(named: "password")).secret)
        XCTAssertTrue(try XCTUnwrap(spec.parameter(named: "login_password")).secret)
        var declared = spec
        declared.parameters = [ParameterSpec("name"), ParameterSpec("password", .int, secret: true)]
        let problems = declared.problems(in: arguments("mysql_user", ["name": "wp", "password": "hunter2-very-secret"]))
        XCTAssertEqual(problems.map(\.message), ["mysql_user: parameter 'password' must be an integer, not '********'"])
        XCTAssertFalse(problems.description.contains("hunter2"))
        XCTAssertFalse(spec.reference.contains("hunter2"))
        XCTAssertTrue(spec.reference.contains("password: string; secret"), spec.reference)
    }

    /// Every alias validate accepts is the parameter itself when the module is made.
    func testAliasesWorkAtRunTime() throws {
        let db = try XCTUnwrap(try spec("mysql_db").make(arguments("mysql_db", ["db": "wordpress", "ssl_ca": "/etc/ca.pem"])) as? MySQLDatabaseModule)
        XCTAssertEqual(db.name, "wordpress")
        XCTAssertEqual(db.login.caCert, "/etc/ca.pem")
        let user = try XCTUnwrap(try spec("mysql_user").make(arguments("mysql_user", ["user": "wp"])) as? MySQLUserModule)
        XCTAssertEqual(user.name, "wp")
        let package = try XCTUnwrap(try spec("apt").make(arguments("apt", ["pkg": ["nginx", "php"], "update-cache": "yes"])) as? PackageModule)
        XCTAssertEqual(package.names, ["nginx", "php"])
        XCTAssertTrue(package.updateCache)
        let line = try XCTUnwrap(try spec("lineinfile").make(arguments("lineinfile", ["destfile": "/etc/x", "value": "a=1", "regex": "^a="])) as? LineInFileModule)
        XCTAssertEqual(line.path, "/etc/x")
        XCTAssertEqual(line.edit.line, "a=1")
        XCTAssertEqual(line.edit.regexp, "^a=")
        let file = try XCTUnwrap(try spec("file").make(arguments("file", ["name": "/srv/www"])) as? FileModule)
        XCTAssertEqual(file.path, "/srv/www")
        // The parameter's own name wins over an alias given too.
        let both = try XCTUnwrap(try spec("file").make(arguments("file", ["path": "/a", "dest": "/b"])) as? FileModule)
        XCTAssertEqual(both.path, "/a")
    }

    func testDeclaredDefaultsAreWhatTheModuleGets() throws {
        let copy = try XCTUnwrap(try spec("copy").make(arguments("copy", ["dest": "/x", "content": "a"])) as? CopyModule)
        XCTAssertTrue(copy.force)
        XCTAssertEqual(try spec("copy").parameter(named: "force")?.defaultValue, .bool(true))
        let file = try XCTUnwrap(try spec("file").make(arguments("file", ["path": "/x"])) as? FileModule)
        XCTAssertTrue(file.follow)
        XCTAssertFalse(file.force)
    }

    func testDocComesFromTheSpec() throws {
        let text = try spec("lineinfile").reference
        XCTAssertTrue(text.hasPrefix("lineinfile\n"), text)
        XCTAssertTrue(text.contains("  path: string; required; aliases dest, destfile, name"), text)
        XCTAssertTrue(text.contains("  state: string; one of present, absent; default present"), text)
        XCTAssertTrue(text.contains("at most one of: regexp, search_string"), text)
        XCTAssertTrue(try spec("yum").reference.hasPrefix("package (also: apt, dnf, yum)"))
    }

    /// The registry lists each module once, and each name answers to one module.
    func testEveryModuleIsRegisteredOnce() {
        let names = ModuleRegistry.allNames
        XCTAssertEqual(names.count, Set(names).count, "\(names)")
        for spec in ModuleRegistry.specs {
            let parameters = spec.parameterNames
            XCTAssertEqual(parameters.count, Set(parameters).count, spec.name)
            for group in spec.requiredOneOf + spec.mutuallyExclusive {
                for name in group { XCTAssertNotNil(spec.parameter(named: name), "\(spec.name): \(name)") }
            }
        }
    }
}
