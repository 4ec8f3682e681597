import Foundation

/// A command kept running on a host, its stdin open, until `release()`, or until the
/// connection ends: a controller that dies closes the command's stdin with it, so whatever
/// the command holds (the host lock) is let go. What `HostLock` is made of.
public protocol HeldCommand: AnyObject, Sendable {
    func release()
}

public enum HoldOutcome: Sendable {
    /// The command printed its first line (without the newline) and runs on.
    case holding(firstLine: String, HeldCommand)
    /// It ended before printing a whole line.
    case ended(CommandResult)
}

/// A connection that can keep a command running alongside its others (every transport).
public protocol CommandHolding: Connection {
    /// Which machine this reaches, as far as the connection knows: connections with the
    /// same identity are one machine (every local connection; one address and port).
    var machineIdentity: String { get }

    /// Runs `script` (on stdin, through the same bootstrap as `run`; its stdin then stays
    /// open) and returns at its first line of output, or when it ends, or throws at `timeout`.
    func hold(_ script: String, become: Bool, timeout: TimeInterval?) throws -> HoldOutcome
}

extension HoldOutcome {
    /// sudo's refusal (it wants a password) as the error every other command gives for it.
    func checkingSudo(host: String, become: Bool) throws -> HoldOutcome {
        if become, case .ended(let result) = self, RemoteCommand.sudoWantsPassword(exitStatus: result.exitStatus, stderr: result.stdout) {
            throw ConnectionError.sudoNeedsPassword(host: host)
        }
        return self
    }
}
