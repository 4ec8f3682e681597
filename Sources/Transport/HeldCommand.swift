import Foundation

/// A command kept running on a host, its stdin open, until `release()`, or until the
/// connection ends: a controller that dies closes the command's stdin with it, so whatever
/// the command holds (the host lock) is let go. What `HostLock` is made of.
public protocol HeldCommand: AnyObject, Sendable {
    func release()
}

public enum HoldOutcome: Sendable {
    /// The command printed its ready line (the first that starts with the prefix asked for,
    /// without its newline) and runs on; `before` is what it printed ahead of that line.
    case holding(readyLine: String, before: String, HeldCommand)
    /// It ended before printing a ready line: all it printed (stdout and stderr together).
    case ended(CommandResult)

    /// Where the ready line is in `output` so far: what came before it and the line itself,
    /// once it is whole. One rule for every transport.
    static func readyLine(in output: Data, prefix: String) -> (before: String, line: String)? {
        let marker = Data(prefix.utf8)
        var start = output.startIndex
        while start < output.endIndex {
            guard let newline = output[start...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            if output[start..<newline].starts(with: marker) {
                return (String(decoding: output[..<start], as: UTF8.self), String(decoding: output[start..<newline], as: UTF8.self))
            }
            start = output.index(after: newline)
        }
        return nil
    }
}

/// A connection that can keep a command running alongside its others (every transport).
public protocol CommandHolding: Connection {
    /// Which machine this reaches, as far as the connection knows: connections with the
    /// same identity are one machine (every local connection; one address and port).
    var machineIdentity: String { get }

    /// Runs `script` (on stdin, through the same bootstrap as `run`, `input` after it; its
    /// stdin then stays open) and returns at the first line of its output that starts with
    /// `readyPrefix`, or when it ends, or throws at `timeout`.
    func hold(_ script: String, input: Data, become: Bool, readyPrefix: String, timeout: TimeInterval?) throws -> HoldOutcome
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
