import Foundation
import XCTest

/// Runs small playbooks with the real `provision` binary on a lab host and checks the
/// contract every module keeps: `--check` on a fresh host predicts exactly the first run's
/// changes and changes nothing, the first run makes them, the second run and `--check` on
/// the converged host report none.
struct PlaybookProbe {
    let host: String
    let directory: String

    init(host: String) throws {
        self.host = host
        directory = NSTemporaryDirectory() + "module-lab-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// Task name -> changed, in playbook order, from one run's `--json` output.
    struct Result {
        var status: Int32
        var changed: [String: Bool]
        var statuses: [String: String]
        /// Tasks check mode reported as changed without looking (`"assumed": true`).
        var assumed: Set<String>
        var output: String
    }

    func run(_ playbook: String, check: Bool = false, extra: [String] = []) throws -> Result {
        let path = directory + "/play-\(UUID().uuidString.prefix(6)).yml"
        try playbook.write(toFile: path, atomically: true, encoding: .utf8)
        let out = Lab.provision(["-i", Lab.inventory, "-F", Lab.sshConfig, "-p", path, "--json"]
                                + (check ? ["--check"] : []) + extra + [host])
        var changed: [String: Bool] = [:]
        var statuses: [String: String] = [:]
        var assumed: Set<String> = []
        for event in Lab.jsonLines(out.stdout) where event["event"] as? String == "task" {
            guard let task = event["task"] as? String else { continue }
            changed[task] = event["changed"] as? Bool ?? false
            statuses[task] = event["status"] as? String
            if event["assumed"] as? Bool == true { assumed.insert(task) }
        }
        return Result(status: out.status, changed: changed, statuses: statuses, assumed: assumed, output: out.all)
    }

    /// Check, run, run again, check again. `expected`: task name -> changed on the first run.
    /// `state` prints what the playbook acts on; check mode must leave it as it was.
    func assertConverges(_ playbook: String, expected: [String: Bool], state: () -> String,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        let before = state()
        let predicted = try run(playbook, check: true)
        XCTAssertEqual(predicted.status, 0, "check on a fresh host failed:\n\(predicted.output)", file: file, line: line)
        XCTAssertEqual(predicted.changed, expected, "check mode's prediction\n\(predicted.output)", file: file, line: line)
        XCTAssertEqual(state(), before, "check mode changed the host", file: file, line: line)

        let first = try run(playbook)
        XCTAssertEqual(first.status, 0, "first run failed:\n\(first.output)", file: file, line: line)
        XCTAssertEqual(first.changed, expected, "first run's changes\n\(first.output)", file: file, line: line)
        XCTAssertNotEqual(state(), before, "the first run changed nothing on the host", file: file, line: line)

        let none = expected.mapValues { _ in false }
        let second = try run(playbook)
        XCTAssertEqual(second.status, 0, second.output, file: file, line: line)
        XCTAssertEqual(second.changed, none, "second run changed something\n\(second.output)", file: file, line: line)
        let converged = try run(playbook, check: true)
        XCTAssertEqual(converged.changed, none, "check mode on a converged host\n\(converged.output)", file: file, line: line)
    }
}
