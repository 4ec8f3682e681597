import Foundation
import ProvisionCore
import Transport

/// How a run behaves; set by the command line.
public struct RunOptions: Sendable {
    public var checkMode = false
    public var diffMode = false
    /// Only tasks with one of these tags run (empty = all).
    public var tags: [String] = []
    public var skipTags: [String] = []
    /// Hosts run at the same time (nil = all).
    public var forks: Int?
    /// Hosts per batch: each play runs to its end on one batch before the next starts.
    public var serial: BatchSize?
    public var extraVariables: [String: Value] = [:]
    /// From the secrets file and environment: just below `-e`, never templated, always masked.
    public var secretVariables: [String: Value] = [:]
    public var acceptNewHostKeys = false
    /// `--wait-for-ssh`: keep retrying a host that is not up yet, until this many seconds.
    public var waitForSSH: TimeInterval?
    public var transport: TransportPreference = .auto
    public var verbose = 0
    /// `--force-handlers`: a host whose task failed still runs the handlers notified before
    /// (a config written and not yet reloaded is reloaded), as Ansible's flag does.
    public var forceHandlers = false
    /// `--lock-wait`: how long a host another run holds is waited for (`HostLock`).
    public var lockWait = HostLock.defaultWait
    /// Who this run is, for a run that finds a host locked by it.
    public var lockHolder = HostLock.holder(mode: "push")

    public init() {}
}

/// `--serial`: a count of hosts (`2`) or a share of them (`30%`), at least one host.
public enum BatchSize: Sendable, Equatable {
    case count(Int)
    case percent(Int)

    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%"), let p = Int(trimmed.dropLast()), (1...100).contains(p) {
            self = .percent(p)
        } else if let n = Int(trimmed), n >= 1 {
            self = .count(n)
        } else {
            throw InputError("--serial: expected a number of hosts (2) or a percentage (30%), got '\(text)'")
        }
    }

    public func batches(of hosts: [String]) -> [[String]] {
        guard !hosts.isEmpty else { return [] }
        let size: Int
        switch self {
        case .count(let n): size = n
        case .percent(let p): size = max(1, hosts.count * p / 100)
        }
        return stride(from: 0, to: hosts.count, by: size).map { Array(hosts[$0..<min($0 + size, hosts.count)]) }
    }
}
