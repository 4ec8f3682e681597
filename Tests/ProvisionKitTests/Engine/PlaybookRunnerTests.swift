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

/// The engine run for real on this machine through LocalConnection: a real shell, real files.
final class PlaybookRunnerTests: XCTestCase {
    var local: LocalPlaybook!
    var dir: String { local.directory }

    override func setUpWithError() throws { local = try LocalPlaybook() }
    override func tearDownWithError() throws { local.remove() }

    func run(_ yaml: String, options: RunOptions = RunOptions(), hosts: [String] = ["local"]) throws -> (CollectingReporter, [(String, HostRecap)]) {
        try local.run(yaml, options: options, hosts: hosts)
    }

    var playbook: String {
        """
        - hosts: machines
          vars:
            dir: \(dir)
          tasks:
            - name: marker file
              command: touch {{ dir }}/marker
              args:
                creates: "{{ dir }}/marker"
              notify: note it
            - name: say hello
              shell: echo hello {{ inventory_hostname }}
              register: greeting
            - name: use the registered result
              debug:
                msg: "{{ greeting.stdout | default('(not run)') }}"
            - name: loop with a condition
              shell: echo {{ item }} >> {{ dir }}/loop-{{ inventory_hostname }}
              args:
                creates: "{{ dir }}/loop-done-{{ item }}"
              loop: [x, y, z]
              when: item != 'y'
            - name: skipped by when
              shell: "false"
              when: ansible_os_family == "Nowhere"
          handlers:
            - name: note it
              shell: echo ran >> {{ dir }}/handler
        """
    }

    func testFirstRunChangesThenSecondRunOnlyRunsCommandsWithoutGuards() throws {
        let (first, recap) = try run(playbook)
        XCTAssertEqual(recap.first?.1.failed, 0, "\(first.tasks.map { "\($0.task): \($0.status) \($0.message ?? "")" })")
        XCTAssertEqual(recap.first?.1.changed, 4)  // marker, hello, loop, handler
        XCTAssertEqual(try String(contentsOfFile: dir + "/handler", encoding: .utf8), "ran\n")
        XCTAssertEqual(try String(contentsOfFile: dir + "/loop-local", encoding: .utf8), "x\nz\n")
        XCTAssertEqual(first.tasks.first { $0.task == "use the registered result" }?.message, "hello local")
        XCTAssertEqual(first.tasks.first { $0.task == "skipped by when" }?.status, .skipped)

        let (second, recap2) = try run(playbook)
        XCTAssertEqual(second.tasks.first { $0.task == "marker file" }?.status, .ok)
        // The handler is notified only by a change: it must not run again.
        XCTAssertEqual(try String(contentsOfFile: dir + "/handler", encoding: .utf8), "ran\n")
        XCTAssertEqual(recap2.first?.1.changed, 2)  // the unguarded shell and the loop (no creates file made)
    }

    /// Check mode runs no command, but counts an unguarded one (task or notified handler) as
    /// the change the real run will report: its count equals the real run's.
    func testCheckModeChangesNothingAndPredictsTheRealCount() throws {
        var options = RunOptions()
        options.checkMode = true
        let (reporter, recap) = try run(playbook, options: options)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/marker"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/handler"))
        XCTAssertEqual(reporter.tasks.first { $0.task == "marker file" }?.status, .changed)
        XCTAssertFalse(reporter.tasks.first { $0.task == "marker file" }?.assumed ?? true, "a guarded command is looked at")
        let hello = reporter.tasks.first { $0.task == "say hello" }
        XCTAssertEqual(hello?.status, .changed)
        XCTAssertEqual(hello?.assumed, true)
        let handler = reporter.tasks.first { $0.task == "note it" }
        XCTAssertEqual(handler?.status, .changed, "the handler notified by a predicted change is predicted too")
        XCTAssertEqual(handler?.assumed, true)
        XCTAssertEqual(recap.first?.1.failed, 0)

        let (_, real) = try run(playbook)
        XCTAssertEqual(recap.first?.1.changed, real.first?.1.changed, "check mode predicts the real run's count")
    }

    func testAFailureStopsThatHostAndExitCodeIsTwo() throws {
        let (reporter, recap) = try run("""
            - hosts: machines
              tasks:
                - name: fails
                  shell: echo broken >&2; exit 3
                - name: never runs
                  shell: "true"
            """)
        XCTAssertEqual(recap.first?.1.failed, 1)
        XCTAssertNil(reporter.tasks.first { $0.task == "never runs" })
        XCTAssertEqual(reporter.tasks.first?.message, "command failed (exit 3): broken")
        XCTAssertEqual(ExitCode.forRecap(recap), 2)
    }

    func testIgnoreErrorsContinues() throws {
        let (reporter, recap) = try run("""
            - hosts: machines
              tasks:
                - name: fails
                  shell: exit 1
                  ignore_errors: true
                  register: r
                - name: runs
                  debug:
                    msg: "rc was {{ r.rc }}"
            """)
        XCTAssertEqual(recap.first?.1.failed, 0)
        XCTAssertEqual(reporter.tasks.last?.message, "rc was 1")
    }

    func testHostsRunInParallel() throws {
        let started = Date()
        let (_, recap) = try run("""
            - hosts: machines
              tasks:
                - shell: sleep 1
            """, hosts: ["a", "b", "c", "d"])
        XCTAssertEqual(recap.count, 4)
        XCTAssertLessThan(Date().timeIntervalSince(started), 3.5, "four 1 s tasks ran one after another")
    }

    func testSecretsNeverReachReports() throws {
        var options = RunOptions()
        options.secretVariables = ["db_password": .secret(Secret("hunter2-very-secret"))]
        let (reporter, _) = try run("""
            - hosts: machines
              tasks:
                - name: leaks on purpose
                  shell: echo "pw={{ db_password }}" >&2; exit 1
            """, options: options)
        let text = reporter.tasks.map { ($0.message ?? "") + $0.task }.joined()
        XCTAssertFalse(text.contains("hunter2-very-secret"), text)
        XCTAssertTrue(text.contains("pw=********"), text)
    }

    func testSerialRunsEachBatchToTheEndBeforeTheNext() throws {
        var options = RunOptions()
        options.serial = try BatchSize(parsing: "1")
        let (reporter, _) = try run("""
            - hosts: machines
              tasks:
                - name: one
                  shell: "true"
                - name: two
                  shell: "true"
            """, options: options, hosts: ["a", "b"])
        XCTAssertEqual(reporter.tasks.map { "\($0.host) \($0.task)" }, ["a one", "a two", "b one", "b two"])
    }

    /// Ansible's plain `serial` batches each play on its own: every host finishes play one
    /// before any starts play two (a whole-playbook batch would give a one, a two, b one …).
    func testSerialBatchesEachPlayNotTheWholePlaybook() throws {
        var options = RunOptions()
        options.serial = try BatchSize(parsing: "1")
        let (reporter, _) = try run("""
            - hosts: machines
              tasks:
                - name: one
                  shell: "true"
            - hosts: machines
              tasks:
                - name: two
                  shell: "true"
            """, options: options, hosts: ["a", "b"])
        XCTAssertEqual(reporter.tasks.map { "\($0.host) \($0.task)" }, ["a one", "b one", "a two", "b two"])
    }

    /// A play's own `serial:` (Ansible's play keyword): batch sizes in turn, the last repeated;
    /// the play without one runs on every host at once.
    func testAPlaysSerialBatchesThatPlayOnly() throws {
        let (reporter, _) = try run("""
            - hosts: machines
              serial: [1, 2]
              tasks:
                - name: one
                  shell: "sleep 0.2"
            - hosts: machines
              tasks:
                - name: two
                  shell: "true"
            """, options: RunOptions(), hosts: ["a", "b", "c", "d", "e"])
        let one = reporter.tasks.filter { $0.task == "one" }.map(\.host)
        XCTAssertEqual(Array(one.prefix(1)), ["a"], "the first batch is one host")
        XCTAssertEqual(Set(one[1...2]), ["b", "c"], "then batches of two")
        XCTAssertEqual(Set(one[3...4]), ["d", "e"])
        XCTAssertEqual(reporter.tasks.filter { $0.task == "two" }.count, 5)
    }

    func testTheCommandLinesSerialWinsOverThePlays() throws {
        var options = RunOptions()
        options.serial = try BatchSize(parsing: "1")
        let (reporter, _) = try run("""
            - hosts: machines
              serial: 5
              tasks:
                - name: one
                  shell: "true"
                - name: two
                  shell: "true"
            """, options: options, hosts: ["a", "b"])
        XCTAssertEqual(reporter.tasks.map { "\($0.host) \($0.task)" }, ["a one", "a two", "b one", "b two"])
    }

    func testBatchSizeLists() throws {
        let hosts = (1...10).map { "h\($0)" }
        XCTAssertEqual(BatchSize.batches([.count(1), .count(3), .percent(50)], of: hosts).map(\.count), [1, 3, 5, 1])
        XCTAssertEqual(BatchSize.batches([.count(4)], of: hosts).map(\.count), [4, 4, 2])
        XCTAssertEqual(BatchSize.batches([], of: hosts), [hosts])
        XCTAssertEqual(BatchSize.batches([.count(2)], of: []), [])
    }

    func testBatchSizes() throws {
        let hosts = ["a", "b", "c", "d", "e"]
        XCTAssertEqual(try BatchSize(parsing: "2").batches(of: hosts), [["a", "b"], ["c", "d"], ["e"]])
        XCTAssertEqual(try BatchSize(parsing: "40%").batches(of: hosts), [["a", "b"], ["c", "d"], ["e"]])
        XCTAssertEqual(try BatchSize(parsing: "10%").batches(of: hosts).count, 5)
        XCTAssertThrowsError(try BatchSize(parsing: "0"))
        XCTAssertThrowsError(try BatchSize(parsing: "150%"))
    }

    /// `connection: local`: the play runs on this machine for each of its hosts, never
    /// through the connector (which here refuses every host), with each host's variables.
    func testConnectionLocalRunsThePlayOnTheControllerPerHost() throws {
        let playbook = try PlaybookLoader.load(text: """
            - hosts: machines
              connection: local
              gather_facts: false
              tasks:
                - name: where
                  command: echo "{{ inventory_hostname }} {{ colour }}"
            """, file: "local.yml", baseDirectory: NSTemporaryDirectory())
        var inventory = Inventory()
        inventory.add(InventoryHost(name: "a", address: "192.0.2.1", variables: ["colour": "red"]), toGroup: "machines")
        inventory.add(InventoryHost(name: "b", address: "192.0.2.2", variables: ["colour": "blue"]), toGroup: "machines")
        let resolver = HostResolver(inventory: inventory, sshConfig: SSHConfig(), sshConfigFile: nil)
        let pool = ConnectionPool(resolver: resolver) { host in
            throw ConnectionError.protocolError(host: host.name, message: "no SSH in this test")
        }
        let reporter = CollectingReporter()
        let recap = try PlaybookRunner(playbook: playbook, inventory: inventory, options: RunOptions(), pool: pool,
                                       reporter: reporter, redactor: Redactor()).run(targets: [])
        pool.closeAll()
        XCTAssertEqual(recap.map { $0.1.unreachable }, [0, 0], "\(reporter.tasks.map { $0.message ?? "" })")
        XCTAssertEqual(Set(reporter.tasks.compactMap(\.message).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }),
                       ["a red", "b blue"])
    }
}
