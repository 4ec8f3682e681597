import Foundation
import XCTest
@testable import ProvisionCore
@testable import Transport
@testable import Database
@testable import Cloud
@testable import Inventory
@testable import Playbook
@testable import Modules
@testable import Engine

/// Issue 17 item 4: names checked with the real tools' rules, one quoting function, `--`
/// before operands.
final class NameRulesTests: XCTestCase {
    func testNameTable() {
        let accepted: [(String, NameRules.Kind)] = [
            ("apache2", .service), ("php8.2-fpm", .service), ("getty@tty1", .service), ("httpd", .service),
            ("systemd-journald", .service), ("foo\\x2dbar", .service),
            ("apache2", .package), ("php-mysqlnd", .package), ("libc6:amd64", .package), ("g++", .package),
            ("nginx=1.22.1-9", .package), ("nginx=1:1.22.1-9+deb12u1~bpo", .package), ("php8*", .package),
            ("NetworkManager", .package), ("python3_pip", .package),
            ("www-data", .user), ("ec2-user", .user), ("apache", .user), ("_apt", .user), ("root", .user),
            ("0", .user), ("33", .user), ("4294967294", .user), ("machine$", .user), ("a.b", .user),
            ("www-data", .group), ("48", .group),
        ]
        for (name, kind) in accepted {
            XCTAssertNil(NameRules.problem(name, as: kind), "\(kind) '\(name)' should be accepted")
        }
        let refused: [(String, NameRules.Kind, String)] = [
            ("", .service, "is empty"),
            ("-H", .service, "starts with '-'"),
            ("--root=/", .service, "starts with '-'"),
            ("a b", .service, "contains a space"),
            ("apache2;id", .service, "contains ';'"),
            ("../../bin/sh", .service, "starts with '.'"),
            ("a/b", .service, "contains '/'"),
            ("x$(id)", .service, "contains '$'"),
            ("a\nb", .service, "control"),
            ("ünï", .service, "non-ASCII"),
            (String(repeating: "a", count: 256), .service, "longer than 255"),
            ("-o=APT::Get::AllowUnauthenticated=1", .package, "starts with '-'"),
            ("--allow-downgrades", .package, "starts with '-'"),
            (".hidden", .package, "starts with '.'"),
            ("*", .package, "starts with '*'"),
            ("a b", .package, "contains a space"),
            ("pkg;rm", .package, "contains ';'"),
            ("pkg=", .package, "version"),
            ("pkg=1.0;id", .package, "version"),
            ("pkg:", .package, "architecture"),
            ("=1.0", .package, "no package name"),
            ("-R", .user, "starts with '-'"),
            ("1root", .user, "starts with '1'"),
            ("a:b", .user, "contains ':'"),
            ("a b", .user, "contains a space"),
            ("root$x", .user, "contains '$'"),
            ("4294967295", .user, "out of range"),
            ("99999999999999999999", .user, "out of range"),
            (String(repeating: "a", count: 33), .user, "longer than 32"),
            ("--reference=/etc/shadow", .group, "starts with '-'"),
            ("wheel,adm", .group, "contains ','"),
        ]
        for (name, kind, reason) in refused {
            let problem = NameRules.problem(name, as: kind)
            XCTAssertNotNil(problem, "\(kind) '\(name)' should be refused")
            XCTAssertTrue(problem?.contains(reason) ?? false, "\(kind) '\(name)': \(problem ?? "nil") should say \(reason)")
        }
    }

    /// The modules refuse such names when built, with the parameter named.
    func testModulesRefuseBadNames() {
        let cases: [(ModuleSpec, [String: Value], String)] = [
            (ServiceModule.spec, ["name": .string("-H"), "state": .string("started")], "service: name '-H' is not a valid service name"),
            (ServiceModule.spec, ["name": .string("a;b"), "state": .string("started")], "service: name 'a;b' is not a valid service name"),
            (PackageModule.spec, ["name": .list([.string("apache2"), .string("--allow-unauthenticated")])], "package: name '--allow-unauthenticated' is not a valid package name"),
            (FileModule.spec, ["path": .string("/x"), "owner": .string("--reference=/etc/shadow")], "file: owner '--reference=/etc/shadow' is not a valid user name"),
            (FileModule.spec, ["path": .string("/x"), "group": .string("-R")], "file: group '-R' is not a valid group name"),
            (CopyModule.spec, ["dest": .string("/x"), "content": .string("y"), "owner": .string("a b")], "copy: owner 'a b' is not a valid user name"),
            (UnarchiveModule.spec, ["src": .string("/a.tgz"), "dest": .string("/x"), "owner": .string("-h")], "unarchive: owner '-h' is not a valid user name"),
        ]
        for (spec, values, message) in cases {
            XCTAssertThrowsError(try spec.make(ModuleArguments(module: spec.name, values: values)), message) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error) should contain \(message)")
            }
        }
        // Good names still build.
        XCTAssertNoThrow(try ServiceModule.spec.make(ModuleArguments(module: "service", values: ["name": .string("php8.2-fpm"), "state": .string("started")])))
        XCTAssertNoThrow(try FileModule.spec.make(ModuleArguments(module: "file", values: ["path": .string("/x"), "owner": .string("www-data"), "group": .string("33")])))
    }

    /// Hostile words through `sh`: read back byte for byte, and never bare when they hold
    /// `=` or start with `-`.
    func testQuoteTableThroughTheShell() throws {
        let words = [
            "plain", "", "a b", "it's", "\"dq\"", "$(id)", "`id`", "${HOME}", "a\nb", "tab\there", "-rf", "--", "-",
            "a=b", "PATH=/tmp", "x=$(id)", "*", "?", "[a]", "~root", "a;b", "a|b", "a&b", "a>b", "!x", "#c", "\\",
            "ünïcødé", "'", "''", "-e=1", "a,b", "%s", "@x",
        ]
        for word in words {
            let quoted = Shell.quote(word)
            let out = try LocalConnection().run("printf '%s' \(quoted)").stdoutText
            XCTAssertEqual(out, word, "\(word.debugDescription) quoted as \(quoted) reads back differently")
            if word.contains("=") || word.hasPrefix("-") || word.isEmpty {
                XCTAssertTrue(quoted.hasPrefix("'"), "\(word.debugDescription) must be quoted, got \(quoted)")
            }
        }
        // A word with `=` in command position is a command, not an assignment.
        let r = try LocalConnection().run("\(Shell.quote("PROVISION_X=1")) 2>/dev/null; echo \"rc=$? x=${PROVISION_X:-unset}\"")
        XCTAssertEqual(r.stdoutText.trimmingCharacters(in: .newlines), "rc=127 x=unset")
        // Bare words stay bare (readable scripts).
        for word in ["/var/www/html", "www-data:www-data", "php8.2-fpm", "a@b", "x+y,z"] {
            XCTAssertEqual(Shell.quote(word), word)
        }
    }

    /// Every package manager command puts `--` before the names, so a name can never be an option.
    func testPackageCommandsEndOptionsBeforeNames() throws {
        let names = ["apache2", "php"]
        for manager in [Facts.PackageManager.apt, .dnf, .yum] {
            let pm = PackageManagerCommands(manager: manager)
            for command in [pm.install(names), pm.upgrade(names), pm.remove(names)] + (manager == .apt ? [pm.queryInstalled(names)] : []) {
                XCTAssertTrue(command.contains(" -- apache2 php"), "\(manager): \(command)")
            }
            if manager != .apt {
                // rpm is asked one name at a time (a name may be a capability): each after `--`.
                let query = pm.queryInstalled(names)
                XCTAssertTrue(query.contains("for n in apache2 php;"), query)
                XCTAssertEqual(query.components(separatedBy: "rpm -q").count - 1, query.components(separatedBy: #"-- "$n""#).count - 1, query)
            }
            if manager != .apt { XCTAssertTrue(pm.queryUpgradable(names).contains(" -- apache2 php"), pm.queryUpgradable(names)) }
        }
        // dpkg-query really takes `--` and a name starting with '-' is not an option after it.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/dpkg-query") {
            let r = try LocalConnection().run(PackageManagerCommands(manager: .apt).queryInstalled(["dpkg", "--version"]))
            XCTAssertTrue(r.stdoutText.hasPrefix("dpkg\t"), r.stdoutText)
            XCTAssertFalse(r.stdoutText.contains("Debian"), "--version was read as an option: \(r.stdoutText)")
        }
    }
}
