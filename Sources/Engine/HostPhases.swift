import Foundation

/// Where one host's time went in a run, phase by phase: what `--json` (the recap's
/// `phases`) and `-v` show, since a no-op task's own duration is ~0.
public struct HostPhases: Sendable, Equatable {
    /// TCP, SSH handshake and authentication (every connection to the host: tunnels too).
    public var connect: TimeInterval = 0
    /// The facts round trip.
    public var facts: TimeInterval = 0
    /// Probe round trips: batched ahead of tasks, or a task's own.
    public var probe: TimeInterval = 0
    /// Deciding and applying: module runs (the MySQL step's queries count here).
    public var apply: TimeInterval = 0

    public init() {}

    public enum Phase: String, CaseIterable, Sendable { case connect, facts, probe, apply }

    public subscript(phase: Phase) -> TimeInterval {
        get {
            switch phase {
            case .connect: return connect
            case .facts: return facts
            case .probe: return probe
            case .apply: return apply
            }
        }
        set {
            switch phase {
            case .connect: connect = newValue
            case .facts: facts = newValue
            case .probe: probe = newValue
            case .apply: apply = newValue
            }
        }
    }
}

/// Accumulates `HostPhases` for every host of a run; used from every host thread.
public final class PhaseClock: @unchecked Sendable {
    private let lock = NSLock()
    private var phases: [String: HostPhases] = [:]

    public init() {}

    /// Runs `body`, adding its wall time (also when it throws) to `host`'s `phase`.
    public func time<T>(_ phase: HostPhases.Phase, of host: String, _ body: () throws -> T) rethrows -> T {
        let started = DispatchTime.now().uptimeNanoseconds
        defer { add(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, to: phase, of: host) }
        return try body()
    }

    public func add(_ seconds: TimeInterval, to phase: HostPhases.Phase, of host: String) {
        lock.lock()
        phases[host, default: HostPhases()][phase] += seconds
        lock.unlock()
    }

    public var all: [String: HostPhases] {
        lock.lock(); defer { lock.unlock() }
        return phases
    }
}
