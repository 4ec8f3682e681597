import Engine
import Foundation
import Modules
import ProvisionCore

/// The run's secrets (`Redactor`): every line the CLI prints goes through it, last, so a
/// secret in any encoded form the tool writes (JSON's `\/` included) is never shown.
let outputRedactor = Redactor()

/// Writes whole lines to stdout from any thread.
final class LineWriter: @unchecked Sendable {
    private let lock = NSLock()
    func write(_ line: String) {
        let line = outputRedactor.redact(line)
        lock.lock()
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
        lock.unlock()
    }
}

/// Human output: each host's progress as it happens, then a recap.
final class HumanReporter: RunReporter, @unchecked Sendable {
    let out = LineWriter()
    let verbose: Int
    let color: Bool

    init(verbose: Int) {
        self.verbose = verbose
        color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    func report(_ event: RunEvent) {
        switch event {
        case .playStarted(let name, let hosts):
            out.write(paint("PLAY \(name)", "1") + " (\(hosts.count) host\(hosts.count == 1 ? "" : "s"))")
        case .task(let r):
            let status: String
            switch r.status {
            case .ok: status = paint("ok", "32")
            case .changed: status = paint(r.assumed ? "changed (assumed)" : "changed", "33")
            case .failed: status = paint(r.ignoredError ? "failed (ignored)" : "failed", "31")
            case .skipped: status = paint("skipped", "36")
            case .unreachable: status = paint("unreachable", "31")
            }
            var line = "\(r.host): \(status): \(r.task)"
            let showMessage = r.status == .failed || r.status == .changed || verbose > 0
            if showMessage, let m = r.message, !m.isEmpty { line += " — " + m }
            if verbose > 0 { line += String(format: " (%.2fs)", r.duration) }
            out.write(line)
            if let diff = r.diff { out.write(Self.render(diff)) }
        case .hostUnreachable(let host, let message):
            let detail = message.hasPrefix(host + ": ") ? String(message.dropFirst(host.count + 2)) : message
            out.write("\(host): \(paint("UNREACHABLE", "31")): \(detail)")
        case .warning(let host, let message):
            out.write(paint("warning", "35") + ": " + (host.map { "\($0): " } ?? "") + message)
        case .rollout(let message):
            out.write(paint("ROLLOUT", "1") + " " + message)
        case .taskStarted:
            break
        case .finished(let recap, let duration, let phases):
            out.write(paint("RECAP", "1") + String(format: " (%.2fs)", duration))
            let width = recap.map(\.0.count).max() ?? 0
            for (host, r) in recap {
                let name = host.padding(toLength: width, withPad: " ", startingAt: 0)
                var line = "\(name) : ok=\(r.ok) changed=\(r.changed) failed=\(r.failed) unreachable=\(r.unreachable) skipped=\(r.skipped) rescued=\(r.rescued)"
                if verbose > 0, let p = phases[host] {
                    line += "  (" + HostPhases.Phase.allCases.map { String(format: "%@ %.2fs", $0.rawValue, p[$0]) }.joined(separator: ", ") + ")"
                }
                out.write(line)
            }
        }
    }

    /// A unified-style listing: removed lines `-`, added `+` (whole-file granularity is
    /// enough for config files; long files show only the changed region).
    static func render(_ diff: FileDiff) -> String {
        let before = diff.before.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) } ?? []
        let after = diff.after.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) } ?? []
        var prefix = 0
        while prefix < min(before.count, after.count), before[prefix] == after[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < min(before.count, after.count) - prefix,
              before[before.count - 1 - suffix] == after[after.count - 1 - suffix] { suffix += 1 }
        var lines = ["--- \(diff.path) (before)", "+++ \(diff.path) (after)", "@@ line \(prefix + 1) @@"]
        lines += before[prefix..<(before.count - suffix)].map { "-" + $0 }
        lines += after[prefix..<(after.count - suffix)].map { "+" + $0 }
        return lines.joined(separator: "\n")
    }
}

/// `--json`: one JSON object per line, then a final recap object.
final class JSONReporter: RunReporter, @unchecked Sendable {
    let out = LineWriter()

    func emit(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        out.write(String(decoding: data, as: UTF8.self))
    }

    func report(_ event: RunEvent) {
        switch event {
        case .playStarted(let name, let hosts):
            emit(["event": "play", "play": name, "hosts": hosts])
        case .task(let r):
            var object: [String: Any] = [
                "event": "task", "host": r.host, "play": r.play, "task": r.task, "status": r.status.rawValue,
                "changed": r.changed, "duration": (r.duration * 1000).rounded() / 1000,
                "message": r.message as Any? ?? NSNull(),
            ]
            if let action = r.action { object["action"] = action }
            if r.ignoredError { object["ignored"] = true }
            if r.assumed { object["assumed"] = true }
            if let d = r.diff {
                object["diff"] = ["path": d.path, "before": d.before as Any? ?? NSNull(), "after": d.after as Any? ?? NSNull()]
            }
            emit(object)
        case .hostUnreachable(let host, let message):
            emit(["event": "task", "host": host, "task": NSNull(), "status": "unreachable", "changed": false, "duration": 0, "message": message])
        case .warning(let host, let message):
            emit(["event": "warning", "host": host as Any? ?? NSNull(), "message": message])
        case .rollout(let message):
            emit(["event": "rollout", "message": message])
        case .taskStarted:
            break   // --json stays one object per finished task
        case .finished(let recap, let duration, let phases):
            var hosts: [String: Any] = [:]
            var timings: [String: Any] = [:]
            for (host, r) in recap {
                hosts[host] = ["ok": r.ok, "changed": r.changed, "failed": r.failed, "unreachable": r.unreachable, "skipped": r.skipped, "rescued": r.rescued]
                if let p = phases[host] {
                    timings[host] = Dictionary(uniqueKeysWithValues: HostPhases.Phase.allCases.map { ($0.rawValue, (p[$0] * 1000).rounded() / 1000) })
                }
            }
            emit(["event": "recap", "hosts": hosts, "phases": timings, "duration": (duration * 1000).rounded() / 1000,
                  "exit_code": Int(ExitCode.forRecap(recap))])
        }
    }
}
