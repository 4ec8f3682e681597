import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

/// `group` and `user`: decisions from probe output alone (what the commands and the summary
/// are), the parameters they refuse, and a real run on this machine (root in the container).
final class UserGroupTests: XCTestCase {
    enum Verdict: Equatable {
        case ok
        case change(String, [String], password: Bool)
    }

    func group(_ values: [String: Value]) throws -> GroupModule {
        try XCTUnwrap(try GroupModule.spec.make(ModuleArguments(module: "group", values: values)) as? GroupModule)
    }

    func user(_ values: [String: Value]) throws -> UserModule {
        try XCTUnwrap(try UserModule.spec.make(ModuleArguments(module: "user", values: values)) as? UserModule)
    }

    func verdict(_ m: GroupModule, _ probe: String, check: Bool = false) throws -> Verdict {
        switch try m.decide(ProbeResult(output: probe, exitStatus: 0), makeDatabaseContext(checkMode: check)) {
        case .ok: return .ok
        case .change(let summary, _, let plan, _): return .change(summary, plan.commands, password: false)
        case .skip(let why): XCTFail(why); return .ok
        }
    }

    func verdict(_ m: UserModule, _ probe: String, check: Bool = false) throws -> Verdict {
        switch try m.decide(ProbeResult(output: probe, exitStatus: 0), makeDatabaseContext(checkMode: check)) {
        case .ok: return .ok
        case .change(let summary, _, let plan, _): return .change(summary, plan.command.map { [$0] } ?? [], password: plan.password != nil)
        case .skip(let why): XCTFail(why); return .ok
        }
    }

    func testGroupDecisions() throws {
        let exists = "group=www\twww:x:1001:alice,bob\n"
        let table: [([String: Value], String, Verdict, UInt)] = [
            (["name": "www"], "", .change("create group www", ["groupadd -- www"], password: false), #line),
            (["name": "www", "gid": 2000, "system": true], "", .change("create group www (gid 2000, system)", ["groupadd -g 2000 -r -- www"], password: false), #line),
            (["name": "www"], exists, .ok, #line),
            (["name": "www", "gid": 1001], exists, .ok, #line),
            (["name": "www", "system": true], exists, .ok, #line),
            (["name": "www", "gid": "2000"], exists, .change("group www: gid 1001 -> 2000", ["groupmod -g 2000 -- www"], password: false), #line),
            (["name": "www", "state": "absent"], exists, .change("remove group www", ["groupdel -- www"], password: false), #line),
            (["name": "www", "state": "absent"], "", .ok, #line),
        ]
        for (values, probe, expected, line) in table {
            XCTAssertEqual(try verdict(group(values), probe), expected, "\(values)", line: line)
            XCTAssertEqual(try verdict(group(values), probe, check: true), expected, "check mode: \(values)", line: line)
        }
        XCTAssertEqual(try group(["name": "www"]).probe(makeDatabaseContext()),
                       "if e=$(getent group -- www 2>/dev/null); then printf 'group=%s\\t%s\\n' www \"$e\"; fi")
    }

    static let hash = "$6$provtest$k0v7eZJ9nY3mJ2m8a9Qn1mJxw0fQq5o2sW7m3lYc0n1uU9rP4tA6bC8dE0fG2hI4jK6lM8nO0pQ2rS4tU6vW8x"
    static let hashDigest = SHA256.hex(Data(hash.utf8))

    func testUserDecisions() throws {
        let wp = "passwd=wp:x:1001:1001:WordPress:/home/wp:/bin/sh\nid_groups=wp adm\n"
        let groups = "want_group=www-data\twww-data:x:33:\nwant_group=sudo\tsudo:x:27:\nwant_group=adm\tadm:x:4:wp\nwant_group=wp\twp:x:1001:\nwant_group=27\tsudo:x:27:\n"
        let full: [String: Value] = ["name": "wp", "uid": 2001, "group": "www-data", "groups": ["adm", "sudo"], "shell": "/bin/bash",
                                     "home": "/srv/wp", "comment": "Word Press", "system": true, "create_home": false, "password": .string(Self.hash)]
        let table: [([String: Value], String, Verdict, UInt)] = [
            // Creation.
            (["name": "wp"], "", .change("create user wp (create home)", ["useradd -m -- wp"], password: false), #line),
            (["name": "wp"], "own_group=wp\twp:x:1001:\n", .change("create user wp (create home)", ["useradd -N -m -- wp"], password: false), #line),
            (full, groups, .change("create user wp (uid 2001, group www-data, groups adm,sudo, comment 'Word Press', home /srv/wp, shell /bin/bash, no home, system, password set)",
                                   ["useradd -u 2001 -g www-data -G adm,sudo -c 'Word Press' -d /srv/wp -s /bin/bash -M -r -- wp"], password: true), #line),
            (["name": "wp", "createhome": "no", "groups": "sudo, adm"], groups,
             .change("create user wp (groups sudo,adm, no home)", ["useradd -G sudo,adm -M -- wp"], password: false), #line),
            // Already right.
            (["name": "wp"], wp, .ok, #line),
            (["name": "wp", "uid": 1001, "shell": "/bin/sh", "home": "/home/wp", "comment": "WordPress", "group": "wp", "groups": ["adm"]], wp + groups, .ok, #line),
            (["name": "wp", "groups": ["wp", "adm"]], wp + groups, .ok, #line),
            (["name": "wp", "groups": ["adm"], "append": true], wp + groups, .ok, #line),
            (["name": "wp", "groups": [], "append": true], wp, .ok, #line),
            (["name": "wp", "password": .string(Self.hash)], wp + "shadow_sha256=\(Self.hashDigest)\n", .ok, #line),
            (["name": "wp", "password": .string(Self.hash), "update_password": "on_create"], wp + "shadow_sha256=0000\n", .ok, #line),
            (["name": "wp", "state": "absent"], "", .ok, #line),
            // Each difference, and only it.
            (["name": "wp", "uid": 2001], wp, .change("user wp: uid 1001 -> 2001", ["usermod -u 2001 -- wp"], password: false), #line),
            (["name": "wp", "group": "www-data"], wp + groups,
             .change("user wp: primary group wp -> www-data", ["usermod -g www-data -- wp"], password: false), #line),
            (["name": "wp", "groups": ["sudo"]], wp + groups, .change("user wp: groups +sudo -adm", ["usermod -G sudo -- wp"], password: false), #line),
            (["name": "wp", "groups": ["27"]], wp + groups, .change("user wp: groups +sudo -adm", ["usermod -G sudo -- wp"], password: false), #line),
            (["name": "wp", "groups": ["sudo"], "append": true], wp + groups,
             .change("user wp: groups +sudo", ["usermod -a -G sudo -- wp"], password: false), #line),
            (["name": "wp", "groups": ""], wp, .change("user wp: groups -adm", ["usermod -G '' -- wp"], password: false), #line),
            (["name": "wp", "shell": "/bin/bash", "comment": "WP", "home": "/srv/wp"], wp,
             .change("user wp: comment 'WordPress' -> 'WP', home /home/wp -> /srv/wp, shell /bin/sh -> /bin/bash",
                     ["usermod -c WP -d /srv/wp -s /bin/bash -- wp"], password: false), #line),
            (["name": "wp", "password": .string(Self.hash)], wp + "shadow_sha256=0000\n", .change("user wp: password changed", [], password: true), #line),
            (["name": "wp", "password": .string(Self.hash), "shell": "/bin/bash"], wp + "shadow_sha256=0000\n",
             .change("user wp: shell /bin/sh -> /bin/bash, password changed", ["usermod -s /bin/bash -- wp"], password: true), #line),
            (["name": "wp", "state": "absent", "shell": "/bin/bash"], wp, .change("remove user wp", ["userdel -- wp"], password: false), #line),
            (["name": "wp", "state": "absent", "remove": true], wp,
             .change("remove user wp and its home directory", ["userdel -r -- wp"], password: false), #line),
        ]
        for (values, probe, expected, line) in table {
            XCTAssertEqual(try verdict(user(values), probe), expected, "\(values)", line: line)
            XCTAssertEqual(try verdict(user(values), probe, check: true), expected, "check mode: \(values)", line: line)
        }
    }

    func testUserFailsOrPredictsWhatItCannotLookAt() throws {
        let wp = "passwd=wp:x:1001:1001:WordPress:/home/wp:/bin/sh\nid_groups=wp adm\n"
        XCTAssertThrowsError(try verdict(user(["name": "wp", "groups": ["nope"]]), wp)) { error in
            XCTAssertEqual((error as? ModuleError)?.message, "Group nope does not exist")
        }
        // Check mode: an earlier task (a `group:` task) creates it.
        XCTAssertEqual(try verdict(user(["name": "wp", "groups": ["nope"]]), wp, check: true),
                       .change("user wp: groups +nope -adm (group nope not there yet)", ["usermod -G nope -- wp"], password: false))
        XCTAssertEqual(try verdict(user(["name": "wp", "group": "nope"]), "", check: true),
                       .change("create user wp (group nope, create home) (group nope not there yet)", ["useradd -g nope -m -- wp"], password: false))
        XCTAssertThrowsError(try verdict(user(["name": "wp", "password": .string(Self.hash)]), wp)) { error in
            XCTAssertEqual((error as? ModuleError)?.message, "cannot read the shadow entry of wp on web-1 to compare its password (try become: true)")
        }
    }

    /// The password is compared by a digest printed on the host and never put in a command.
    func testPasswordStaysOffCommandLinesAndOutOfTheProbeScript() throws {
        let m = try user(["name": "wp", "password": .string(Self.hash), "shell": "/bin/bash"])
        let probe = try XCTUnwrap(try m.probe(makeDatabaseContext()))
        XCTAssertFalse(probe.contains("provtest"), probe)
        XCTAssertTrue(probe.contains("getent shadow -- wp"), probe)
        guard case .change(let summary, _, let plan, _) = try m.decide(ProbeResult(output: "passwd=wp:x:1:1::/h:/bin/sh\nshadow_sha256=00\n", exitStatus: 0),
                                                                       makeDatabaseContext()) else { return XCTFail("a change") }
        XCTAssertFalse(summary.contains("provtest"))
        XCTAssertFalse(plan.command?.contains("provtest") ?? false)
        XCTAssertFalse(UserModule.chpasswd.contains("provtest"))
        XCTAssertEqual(plan.password?.reveal(), Self.hash)
        XCTAssertTrue(try XCTUnwrap(UserModule.spec.parameter(named: "password")).secret)
    }

    func testBadParametersNameTheParameterAndLine() throws {
        func problem(_ spec: ModuleSpec, _ values: [String: Value]) -> String? {
            var locations: [String: SourceLocation] = [:]
            for key in values.keys { locations[key] = SourceLocation(file: "site.yml", line: 12) }
            do {
                _ = try spec.make(ModuleArguments(module: spec.name, values: values, locations: locations,
                                                  taskLocation: SourceLocation(file: "site.yml", line: 10)))
                return nil
            } catch let e as InputError {
                return "\(e.location?.line ?? 0): \(e.message)"
            } catch { return "\(error)" }
        }
        let cases: [(ModuleSpec, [String: Value], String?, UInt)] = [
            (GroupModule.spec, [:], "10: group: missing required parameter 'name'", #line),
            (GroupModule.spec, ["name": "-r"], "12: group: name '-r' is not a valid group name: it starts with '-' (it would be read as an option)", #line),
            (GroupModule.spec, ["name": "1000"], "12: group: parameter 'name' '1000' is all digits: groupadd takes a name, not an id", #line),
            (GroupModule.spec, ["name": "a:b"], "12: group: name 'a:b' is not a valid group name: it contains ':' (a name has letters, digits and _ . - only, and may end in $)", #line),
            (GroupModule.spec, ["name": "www", "gid": -1], "12: group: parameter 'gid' must be between 0 and 4294967294, not -1", #line),
            (GroupModule.spec, ["name": "www", "gid": "many"], "12: group: parameter 'gid' must be an integer, not 'many'", #line),
            (GroupModule.spec, ["name": "www", "state": "gone"], "12: group: parameter 'state' must be one of present, absent, not 'gone'", #line),
            (UserModule.spec, ["name": "wp;rm"], "12: user: name 'wp;rm' is not a valid user name: it contains ';' (a name has letters, digits and _ . - only, and may end in $)", #line),
            (UserModule.spec, ["name": "wp", "groups": "adm,-G"], "12: user: groups '-G' is not a valid group name: it starts with '-' (it would be read as an option)", #line),
            (UserModule.spec, ["name": "wp", "group": "a b"], "12: user: group 'a b' is not a valid group name: it contains a space", #line),
            (UserModule.spec, ["name": "wp", "home": "srv/wp"], "12: user: parameter 'home' must be an absolute path, not 'srv/wp'", #line),
            (UserModule.spec, ["name": "wp", "shell": "/bin/sh:x"], "12: user: parameter 'shell' must not contain ':' (it separates the fields of /etc/passwd)", #line),
            (UserModule.spec, ["name": "wp", "comment": "a\nb"], "12: user: parameter 'comment' must not contain a newline or control character", #line),
            (UserModule.spec, ["name": "wp", "uid": 4294967295], "12: user: parameter 'uid' must be between 0 and 4294967294, not 4294967295", #line),
            (UserModule.spec, ["name": "wp", "password": "hunter2-clear"],
             "12: user: parameter 'password' does not look like a crypt hash: as in Ansible, password is the hash (e.g. from `mkpasswd -m sha-512`), not the clear text", #line),
            (UserModule.spec, ["name": "wp", "password": "$6$a:b"], "12: user: parameter 'password' must be a crypt hash: no ':', spaces, control or non-ASCII characters", #line),
            (UserModule.spec, ["name": "wp", "password": ""],
             "12: user: parameter 'password' is empty: give a crypt hash (e.g. from `mkpasswd -m sha-512`), or '!' for a locked password", #line),
            (UserModule.spec, ["name": "wp", "update_password": "never"], "12: user: parameter 'update_password' must be one of always, on_create, not 'never'", #line),
            (UserModule.spec, ["user": "wp", "password": "!", "createhome": false, "groups": ["adm"]], nil, #line),
            (UserModule.spec, ["name": "wp", "password": "abcdefghijk./"], nil, #line),
            (UserModule.spec, ["name": "wp", "password": .string("!" + Self.hash)], nil, #line),
        ]
        for (spec, values, expected, line) in cases {
            XCTAssertEqual(problem(spec, values), expected, "\(values)", line: line)
        }
    }
}

/// A connection that records what runs through it (command text and stdin), over LocalConnection.
final class RecordingConnection: Connection, @unchecked Sendable {
    let inner = LocalConnection(hostName: "local")
    var hostName: String { inner.hostName }
    private let lock = NSLock()
    private var log: [(command: String, stdin: Data)] = []
    var recorded: [(command: String, stdin: Data)] { lock.withLock { log } }

    func run(_ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
             onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?) throws -> CommandResult {
        lock.withLock { log.append((command, stdin)) }
        return try inner.run(command, stdin: stdin, become: become, timeout: timeout, onOutput: onOutput)
    }
    func put(_ data: Data, to path: String, attributes: FileAttributes, become: Bool) throws {
        try inner.put(data, to: path, attributes: attributes, become: become)
    }
    func put(file localPath: String, to path: String, attributes: FileAttributes, become: Bool) throws {
        try inner.put(file: localPath, to: path, attributes: attributes, become: become)
    }
    func openTunnel(toHost host: String, port: Int) throws -> any Tunnel { try inner.openTunnel(toHost: host, port: port) }
    func close() { inner.close() }
}

/// `group` and `user` for real on this machine: create, ok on the second run, modify, absent.
final class UserGroupTestsOnThisMachine: XCTestCase {
    var host: FileModuleDriver!
    var recorder = RecordingConnection()
    let suffix = String((0..<6).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement()! })
    var groupName: String { "provtestg" + suffix }
    var otherGroup: String { "provtesth" + suffix }
    var userName: String { "provtestu" + suffix }

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "creates users and groups: needs root")
        host = try FileModuleDriver()
        host.connection = recorder
    }

    override func tearDown() {
        guard let host else { return }
        _ = try? host.connection.run("userdel -r -- \(userName) 2>/dev/null; groupdel -- \(groupName) 2>/dev/null; groupdel -- \(otherGroup) 2>/dev/null; true")
        host.remove()
    }

    func entry(_ database: String, _ name: String) -> String {
        (try? host.connection.run("getent \(database) -- \(name)").stdoutText) ?? ""
    }

    /// A gid no group has.
    func freeGID() throws -> Int {
        for gid in 42_000..<43_000 where entry("group", String(gid)).isEmpty { return gid }
        throw XCTSkip("no free gid")
    }

    func testGroupCreateOkModifyAbsent() throws {
        let name = Value.string(groupName)
        try host.assertConverges(GroupModule.spec, ["name": name, "system": true], snapshot: { entry("group", groupName) })
        XCTAssertTrue(entry("group", groupName).hasPrefix("\(groupName):x:"))
        let gid = try freeGID()
        let moved = try host.run(GroupModule.spec, ["name": name, "gid": .int(gid)])
        XCTAssertTrue(moved.changed)
        XCTAssertEqual(moved.message?.hasSuffix(" -> \(gid)"), true, moved.message ?? "")
        XCTAssertEqual(entry("group", groupName), "\(groupName):x:\(gid):\n")
        XCTAssertFalse(try host.run(GroupModule.spec, ["name": name, "gid": .int(gid)]).changed)
        try host.assertConverges(GroupModule.spec, ["name": name, "state": "absent"], snapshot: { entry("group", groupName) })
        XCTAssertEqual(entry("group", groupName), "")
    }

    func testUserCreateOkModifyAbsent() throws {
        try host.run(GroupModule.spec, ["name": .string(groupName)])
        try host.run(GroupModule.spec, ["name": .string(otherGroup)])
        let home = host.path("home-" + userName)
        let hash = UserGroupTests.hash
        let snapshot = { self.entry("passwd", self.userName) + (try! self.host.shell("id -Gn -- \(self.userName) 2>/dev/null; getent shadow -- \(self.userName) | cut -d: -f2 || true")) }
        var args: [String: Value] = ["name": .string(userName), "groups": .string(groupName), "shell": "/bin/sh", "home": .string(home),
                                     "comment": "provision test", "password": .string(hash)]
        try host.assertConverges(UserModule.spec, args, snapshot: snapshot)
        let passwd = entry("passwd", userName)
        XCTAssertTrue(passwd.hasSuffix(":provision test:\(home):/bin/sh\n"), passwd)
        XCTAssertEqual(try host.shell("id -Gn -- \(userName)").split(separator: " ").dropFirst().map(String.init), [groupName + "\n"])
        XCTAssertEqual(try host.shell("getent shadow -- \(userName) | cut -d: -f2"), hash + "\n")
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: home, isDirectory: &isDirectory) && isDirectory.boolValue, "home created")

        // Modify: exactly what differs is reported; the password goes on stdin only.
        let newHash = "$6$provtes2$" + String(hash.dropFirst(12))
        args["shell"] = "/bin/bash"
        args["groups"] = .list([.string(otherGroup)])
        args["password"] = .string(newHash)
        let modified = try host.run(UserModule.spec, args)
        XCTAssertTrue(modified.changed)
        XCTAssertEqual(modified.message, "user \(userName): groups +\(otherGroup) -\(groupName), shell /bin/sh -> /bin/bash, password changed")
        XCTAssertEqual(try host.shell("id -Gn -- \(userName)").split(separator: " ").dropFirst().map(String.init), [otherGroup + "\n"])
        XCTAssertEqual(try host.shell("getent shadow -- \(userName) | cut -d: -f2"), newHash + "\n")
        XCTAssertFalse(try host.run(UserModule.spec, args).changed, "second run ok")
        for (command, stdin) in recorder.recorded {
            XCTAssertFalse(command.contains("provtes2") || command.contains("provtest$"), "a hash in a command: \(command)")
            if String(decoding: stdin, as: UTF8.self).contains(newHash) {
                XCTAssertTrue(command.contains("chpasswd -e"), command)
            }
        }
        XCTAssertTrue(recorder.recorded.contains { String(decoding: $0.stdin, as: UTF8.self) == "\(userName):\(newHash)\n" }, "sent on stdin")

        // Append keeps what is there.
        let appended = try host.run(UserModule.spec, ["name": .string(userName), "groups": .string(groupName), "append": true])
        XCTAssertEqual(appended.message, "user \(userName): groups +\(groupName)")
        XCTAssertEqual(Set(try host.shell("id -Gn -- \(userName)").trimmingCharacters(in: .newlines).split(separator: " ").dropFirst().map(String.init)),
                       [groupName, otherGroup])

        try host.assertConverges(UserModule.spec, ["name": .string(userName), "state": "absent", "remove": true], snapshot: { self.entry("passwd", self.userName) })
        XCTAssertEqual(entry("passwd", userName), "")
        XCTAssertFalse(FileManager.default.fileExists(atPath: home), "home removed")
    }
}
