import Foundation
import Inventory
import Playbook
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
    /// `-u`, `--private-key`, `-T`: where the inventory says nothing (`HostResolver`).
    public var connectionDefaults = ConnectionDefaults()
    /// `-b`: plays that do not say `become` run their tasks as root.
    public var becomeByDefault = false
    /// `--start-at-task NAME`: each host skips the tasks before the first one so named.
    public var startAtTask: String?
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
