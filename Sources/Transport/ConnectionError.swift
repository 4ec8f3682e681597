import Foundation
import ProvisionCore

/// Connection-level failures. Every one of them makes a host "unreachable" (exit 4);
/// each describes itself in one line a user can act on.
public enum ConnectionError: Error, Equatable, Sendable, CustomStringConvertible {
    case nameResolution(host: String)
    case refused(host: String, port: Int)
    case timeout(host: String, port: Int, seconds: Double)
    case authenticationFailed(user: String, host: String, tried: [String])
    case hostKeyUnknown(host: String, fingerprint: String, knownHostsFile: String)
    /// `recordedAs` is the name the stale line is filed under (the address, or `[address]:port`).
    case hostKeyChanged(host: String, expected: String, presented: String, knownHostsFile: String, line: Int, recordedAs: String)
    /// The key presented is on a `@revoked` line of known_hosts (refused, as by OpenSSH).
    case hostKeyRevoked(host: String, fingerprint: String, knownHostsFile: String, line: Int)
    /// known_hosts trusts a `@cert-authority` for this host; libssh2 cannot check host certificates.
    case hostCertificateUnsupported(host: String, knownHostsFile: String, line: Int)
    case sudoNeedsPassword(host: String)
    case keyUnreadable(path: String, reason: String)
    case protocolError(host: String, message: String)
    case disconnected(host: String, message: String)
    /// `--wait-for-ssh` ran out: `last` is the final attempt's error.
    case stillUnreachable(host: String, waited: Int, last: String)

    public var description: String {
        switch self {
        case .nameResolution(let host):
            return "\(host): could not resolve host name"
        case .refused(let host, let port):
            return "\(host): connection refused on port \(port)"
        case .timeout(let host, let port, let seconds):
            return "\(host): connection to port \(port) timed out after \(Int(seconds)) s"
        case .authenticationFailed(let user, let host, let tried):
            let keys = tried.isEmpty ? "no keys or agent identities available" : "tried " + tried.joined(separator: ", ")
            return "\(user)@\(host): authentication failed (\(keys))"
        case .hostKeyUnknown(let host, let fingerprint, let file):
            return "\(host): host key \(fingerprint) is not in \(file); verify it, then re-run with --accept-new-host-keys to record it"
        case .hostKeyChanged(let host, let expected, let presented, let file, let line, let name):
            return "\(host): HOST KEY CHANGED (expected \(expected), got \(presented)); if the host was rebuilt, remove line \(line) of \(file): ssh-keygen -R \(Shell.quote(name)) -f \(Shell.quote(file))"
        case .hostKeyRevoked(let host, let fingerprint, let file, let line):
            return "\(host): REVOKED HOST KEY: the key presented (\(fingerprint)) is marked @revoked at line \(line) of \(file); refusing to connect (someone may be impersonating the host)"
        case .hostCertificateUnsupported(let host, let file, let line):
            return "\(host): \(file) line \(line) trusts a @cert-authority for this host, and the libssh2 transport cannot check host certificates; use --transport openssh (ssh checks them), or record the host's own key"
        case .sudoNeedsPassword(let host):
            return "\(host): sudo requires a password; allow passwordless sudo (NOPASSWD) for this user"
        case .keyUnreadable(let path, let reason):
            return "key file \(path): \(reason)"
        case .protocolError(let host, let message):
            return "\(host): SSH error: \(message)"
        case .disconnected(let host, let message):
            return "\(host): connection lost: \(message)"
        case .stillUnreachable(let host, let waited, let last):
            return "\(host): still unreachable after waiting \(waited) s for SSH (last: \(last))"
        }
    }
}

extension ConnectionError {
    /// Did sudo refuse for want of a password, in `output` of a command that ended with
    /// `exitStatus`? For callers that run sudo themselves (the host lock's round trip).
    public static func isSudoRefusal(exitStatus: Int32, output: String) -> Bool {
        RemoteCommand.sudoWantsPassword(exitStatus: exitStatus, stderr: Data(output.utf8))
    }
}
