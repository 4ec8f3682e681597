import Foundation
import Transport

/// `--wait-for-ssh SECONDS`: a just-launched instance refuses, times out or drops the
/// handshake until its sshd is up. Retry those with backoff until the deadline; failures
/// that waiting cannot fix (authentication, a changed or unknown host key, a bad key file)
/// are reported at once.
public struct WaitForSSH: Sendable {
    public var seconds: TimeInterval
    public var firstDelay: TimeInterval = 0.25
    public var maximumDelay: TimeInterval = 5

    public init(seconds: TimeInterval) { self.seconds = seconds }

    /// Whether a later attempt can succeed where this one failed.
    public static func isTransient(_ error: Error) -> Bool {
        guard let error = error as? ConnectionError else { return false }
        switch error {
        case .refused, .timeout, .protocolError, .disconnected, .nameResolution: return true
        case .authenticationFailed, .hostKeyUnknown, .hostKeyChanged, .hostKeyRevoked, .hostCertificateUnsupported,
             .sudoNeedsPassword, .keyUnreadable, .stillUnreachable:
            return false
        }
    }

    /// `connector`, retried while the failure is transient and the deadline not passed;
    /// `sleep` is injectable so the schedule can be tested without waiting.
    public func wrap(_ connector: @escaping ConnectionPool.Connector,
                     sleep: @escaping @Sendable (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) },
                     now: @escaping @Sendable () -> Date = Date.init) -> ConnectionPool.Connector {
        let policy = self
        return { host in
            let deadline = now().addingTimeInterval(policy.seconds)
            var delay = policy.firstDelay
            while true {
                do {
                    return try connector(host)
                } catch where WaitForSSH.isTransient(error) {
                    let left = deadline.timeIntervalSince(now())
                    guard left > 0 else {
                        throw ConnectionError.stillUnreachable(host: host.name, waited: Int(policy.seconds), last: "\(error)")
                    }
                    sleep(min(delay, left))
                    delay = min(delay * 2, policy.maximumDelay)
                }
            }
        }
    }
}
