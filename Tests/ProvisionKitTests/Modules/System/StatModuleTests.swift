import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// `stat`: probe output in, Ansible's `stat` dictionary out; then through the real engine on
/// this machine (real files), registered and read by `when` and `assert`, in check mode too.
final class StatModuleTests: XCTestCase {
    func stat(_ output: String) -> [String: Value] {
        StatModule.stat(path: "/p", ProbeResult(output: output, exitStatus: 0)).dictValue ?? [:]
    }

    func testProbeOutputBecomesAnsiblesStatDictionary() {
        let file = stat("regular file|640|0|33|root|www-data|1234|1796400000|42|1\nchecksum=da39a3ee5e6b4b0d3255bfef95601890afd80709\n")
        XCTAssertEqual(file["exists"], true)
        XCTAssertEqual(file["isreg"], true)
        XCTAssertEqual(file["isdir"], false)
        XCTAssertEqual(file["mode"], "0640")
        XCTAssertEqual(file["pw_name"], "root")
        XCTAssertEqual(file["gr_name"], "www-data")
        XCTAssertEqual(file["gid"], .int(33))
        XCTAssertEqual(file["size"], .int(1234))
        XCTAssertEqual(file["rusr"], true)
        XCTAssertEqual(file["xusr"], false)
        XCTAssertEqual(file["checksum"], "da39a3ee5e6b4b0d3255bfef95601890afd80709")

        let empty = stat("regular empty file|644|0|0|root|root|0|1|2|1\n")
        XCTAssertEqual(empty["isreg"], true)

        let directory = stat("directory|2755|48|48|apache|apache|4096|1|3|2\n")
        XCTAssertEqual(directory["isdir"], true)
        XCTAssertEqual(directory["mode"], "2755")
        XCTAssertNil(directory["checksum"])

        let link = stat("symbolic link|777|0|0|root|root|9|1|4|1\nlink=../target\nsource=/etc/target\n")
        XCTAssertEqual(link["islnk"], true)
        XCTAssertEqual(link["lnk_target"], "../target")
        XCTAssertEqual(link["lnk_source"], "/etc/target")

        XCTAssertEqual(stat("missing\n"), ["exists": false, "path": "/p"])
        XCTAssertEqual(stat(""), ["exists": false, "path": "/p"], "no output is not a file")
    }

    func testProbeFollowsLinksOnlyWhenAskedAndHashesWithTheChosenTool() throws {
        let plain = try StatModule(ModuleArguments(module: "stat", values: ["path": "/etc/x y"]))
        let context = TaskContext(hostName: "h", connection: ReplayConnection(), facts: FactsGatherer.parse(DebianFixtureTests.systemdFacts),
                                  become: false, checkMode: false, diffMode: false, variables: [:], baseDirectory: "/tmp",
                                  renderTemplate: { s, _ in try TemplateEngine.render(s, variables: [:]) },
                                  connectionTo: { _ in throw ModuleError("none") }, playHosts: ["h"], warn: { _ in })
        let probe = try XCTUnwrap(try plain.probe(context))
        XCTAssertTrue(probe.contains("stat -c '%F"), probe)
        XCTAssertTrue(probe.contains("sha1sum < '/etc/x y'"), probe)
        let followed = try StatModule(ModuleArguments(module: "stat", values: [
            "path": "/l", "follow": true, "checksum_algorithm": "sha256"]))
        let second = try XCTUnwrap(try followed.probe(context))
        XCTAssertTrue(second.contains("stat -L -c"), second)
        XCTAssertTrue(second.contains("sha256sum"), second)
        let noHash = try StatModule(ModuleArguments(module: "stat", values: ["path": "/l", "get_checksum": false]))
        XCTAssertFalse(try XCTUnwrap(try noHash.probe(context)).contains("sum <"))
    }

    func testRegisteredStatDrivesLaterTasksAlsoInCheckMode() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let present = local.directory + "/present", absent = local.directory + "/absent"
        try "hello\n".write(toFile: present, atomically: true, encoding: .utf8)
        let yaml = """
            - hosts: machines
              tasks:
                - name: stat present
                  stat: {path: \(present), checksum_algorithm: sha256}
                  register: p
                - name: stat absent
                  stat: path=\(absent)
                  register: a
                - name: facts as Ansible names them
                  assert:
                    that:
                      - p.stat.exists
                      - p.stat.isreg and not p.stat.isdir
                      - p.stat.size == 6
                      - p.stat.checksum == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
                      - not a.stat.exists
                - name: only where the file is missing
                  command: touch \(absent)
                  when: not a.stat.exists
            """
        var (reporter, recap) = try local.run(yaml, options: LocalPlaybook.check())
        XCTAssertEqual(recap.first?.1.failed, 0, "\(reporter.tasks.map { "\($0.task): \($0.message ?? "")" })")
        XCTAssertEqual(reporter.status(of: "stat present"), .ok)
        XCTAssertEqual(reporter.status(of: "only where the file is missing"), .changed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: absent), "check mode ran the command")
        (reporter, recap) = try local.run(yaml)
        XCTAssertEqual(recap.first?.1.failed, 0, "\(reporter.tasks.map { "\($0.task): \($0.message ?? "")" })")
        XCTAssertTrue(FileManager.default.fileExists(atPath: absent))
        (reporter, _) = try local.run(yaml)
        XCTAssertEqual(reporter.status(of: "facts as Ansible names them"), .failed, "a.stat.exists is true now")
    }
}
