import Foundation

/// What a live view shows while many hosts run: how many are done, running, failed or
/// unreachable, and each running host's current task with its elapsed time, the slowest
/// first. Built from the run's events; `render` is pure (the time is given), so the
/// terminal drawing around it stays in the command line.
public struct LiveProgress: Sendable {
    enum HostState: Equatable, Sendable {
        case waiting
        case running(task: String, since: TimeInterval)
        case between
    }

    private(set) var states: [String: HostState] = [:]
    private(set) var failed: Set<String> = []
    private(set) var unreachable: Set<String> = []

    public init() {}

    public mutating func apply(_ event: RunEvent, at time: TimeInterval) {
        switch event {
        case .playStarted(_, let hosts):
            for host in hosts where states[host] == nil { states[host] = .waiting }
        case .taskStarted(let host, let task):
            states[host] = .running(task: task, since: time)
        case .task(let report):
            states[report.host] = .between
            if report.status == .failed && !report.ignoredError { failed.insert(report.host) }
        case .hostUnreachable(let host, _):
            states[host] = .between
            unreachable.insert(host)
        case .warning, .rollout, .finished:
            break
        }
    }

    /// The block to draw at `now`: a summary line, then at most `limit` running hosts.
    public func render(at now: TimeInterval, limit: Int = 10) -> [String] {
        var running: [(host: String, task: String, elapsed: TimeInterval)] = []
        var waiting = 0, done = 0
        for (host, state) in states {
            switch state {
            case .waiting: waiting += 1
            case .running(let task, let since): running.append((host, task, max(0, now - since)))
            case .between where !failed.contains(host) && !unreachable.contains(host): done += 1
            case .between: break
            }
        }
        running.sort { $0.elapsed != $1.elapsed ? $0.elapsed > $1.elapsed : $0.host < $1.host }
        var summary = "\(states.count) host\(states.count == 1 ? "" : "s"): \(done) done, \(running.count) running"
        if waiting > 0 { summary += ", \(waiting) waiting" }
        if !failed.isEmpty { summary += ", \(failed.count) failed" }
        if !unreachable.isEmpty { summary += ", \(unreachable.count) unreachable" }
        let width = running.prefix(limit).map(\.host.count).max() ?? 0
        var lines = [summary]
        for r in running.prefix(limit) {
            lines.append("  " + r.host.padding(toLength: width, withPad: " ", startingAt: 0)
                         + String(format: " %6.1fs  ", r.elapsed) + r.task)
        }
        if running.count > limit { lines.append("  … and \(running.count - limit) more running") }
        return lines
    }
}
