import Foundation

/// How a run behaves; set by the command line.
public struct RunOptions: Sendable {
    public enum TransportPreference: String, Sendable { case auto, libssh2, openssh }

    public var checkMode = false
    public var diffMode = false
    /// Only tasks with one of these tags run (empty = all).
    public var tags: [String] = []
    public var skipTags: [String] = []
    /// Hosts run at the same time (nil = all).
    public var forks: Int?
    public var extraVariables: [String: Value] = [:]
    /// From the secrets file and environment: just below `-e`, never templated, always masked.
    public var secretVariables: [String: Value] = [:]
    public var acceptNewHostKeys = false
    public var transport: TransportPreference = .auto
    public var verbose = 0

    public init() {}
}
