import Foundation

/// A run asked to stop (SIGINT, SIGTERM): each host finishes the task it is running, starts
/// no other, and the run ends with its recap, so no host is left mid-change by us.
public final class Interruption: @unchecked Sendable {
    public static let shared = Interruption()
    private let lock = NSLock()
    private var signalName: String?

    public var requested: Bool { lock.lock(); defer { lock.unlock() }; return signalName != nil }
    public var reason: String? { lock.lock(); defer { lock.unlock() }; return signalName }

    /// Returns false when a stop was already requested (a second signal).
    @discardableResult
    public func request(_ name: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard signalName == nil else { return false }
        signalName = name
        return true
    }
}
