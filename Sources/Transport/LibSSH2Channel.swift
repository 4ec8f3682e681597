import CLibSSH2
import Foundation
import ProvisionCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Commands on exec channels: stdin in, stdout and stderr out, the exit status.
extension LibSSH2Loop {
    // MARK: Commands

    func run(
        _ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
        onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?
    ) throws -> CommandResult {
        let result = try exec(command, become: become, stdin: stdin, timeout: timeout, onOutput: onOutput)
        if become, RemoteCommand.sudoWantsPassword(exitStatus: result.exitStatus, stderr: result.stderr) {
            throw ConnectionError.sudoNeedsPassword(host: host)
        }
        return result
    }

    func ensureSession() throws -> OpaquePointer {
        if let broken { throw broken }
        guard let session else { throw ConnectionError.disconnected(host: host, message: "not connected") }
        return session
    }

    /// Runs `script` on an exec channel: the channel's command is `ScriptOnStdin`'s fixed
    /// bootstrap, the script goes ahead of `stdin`.
    func exec(
        _ script: String, become: Bool = false, stdin: Data, timeout: TimeInterval?,
        onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?
    ) throws -> CommandResult {
        let stdin = ScriptOnStdin.stdin(script: script, then: stdin)
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        do {
            let channel = try startBootstrap(become: become, until: deadline)
            defer { freeChannel(channel) }
            return try pumpCommand(channel, stdin: stdin, deadline: deadline, onOutput: onOutput)
        } catch is DeadlineExceeded {
            throw ConnectionError.protocolError(host: host, message: "command timed out after \(timeout.map { String(format: "%g", $0) } ?? "?") s")
        }
    }

    /// A new exec channel running `ScriptOnStdin`'s bootstrap (the script still to be sent);
    /// the caller frees it. Shared by commands and held commands.
    func startBootstrap(become: Bool, until deadline: Date?) throws -> OpaquePointer {
        let command = ScriptOnStdin.remoteCommand(become: become)
        let session = try ensureSession()
        guard let channel = try openGated(until: deadline, {
            libssh2_channel_open_ex(session, "session", 7, 2 * 1024 * 1024, 32768, nil, 0)
        }) else {
            if let broken { throw broken }
            throw ConnectionError.protocolError(host: host, message: "cannot open a channel: \(lastError())")
        }
        let rc: Int32
        do {
            rc = try retry(until: deadline) { libssh2_channel_process_startup(channel, "exec", 4, command, UInt32(command.utf8.count)) }
        } catch {
            freeChannel(channel)
            throw error
        }
        if rc != 0 {
            freeChannel(channel)
            if let broken { throw broken }
            throw ConnectionError.protocolError(host: host, message: "cannot start the command: \(lastError(rc))")
        }
        return channel
    }

    func pumpCommand(
        _ channel: OpaquePointer, stdin: Data, deadline: Date?,
        onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?
    ) throws -> CommandResult {
        var out = Data()
        var err = Data()
        var inOffset = 0
        var eofSent = false
        let chunk = 65536
        while true {
            var progress = false
            if inOffset < stdin.count {
                let n = stdin.withUnsafeBytes { raw -> Int in
                    let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self) + inOffset
                    return libssh2_channel_write_ex(channel, 0, base, min(stdin.count - inOffset, 256 * 1024))
                }
                if n > 0 {
                    inOffset += n
                    progress = true
                } else if n != Int(LIBSSH2_ERROR_EAGAIN) && n != Int(LIBSSH2_ERROR_BAD_USE) {
                    if isFatal(Int32(n)) { markBroken(Int32(n)); throw broken! }
                    inOffset = stdin.count  // the command stopped reading (closed its stdin): drop the rest
                }
            } else if !eofSent {
                let rc = libssh2_channel_send_eof(channel)
                if rc == 0 || (rc != LIBSSH2_ERROR_EAGAIN && rc != LIBSSH2_ERROR_BAD_USE) { eofSent = true }
            }
            var drained = true
            for (stream, kind) in [(Int32(0), OutputStreamKind.stdout), (Int32(1), OutputStreamKind.stderr)] {
                var reads = 0
                while reads < 64 {
                    let n = libssh2_channel_read_ex(channel, stream, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), chunk)
                    if n > 0 {
                        let data = Data(bytes: buffer.baseAddress!, count: n)
                        if kind == .stdout { out.append(data) } else { err.append(data) }
                        onOutput?(kind, data)
                        progress = true
                        reads += 1
                        continue
                    }
                    if n < 0, n != Int(LIBSSH2_ERROR_EAGAIN), n != Int(LIBSSH2_ERROR_BAD_USE) {
                        if isFatal(Int32(n)) { markBroken(Int32(n)); throw broken! }
                        throw ConnectionError.disconnected(host: host, message: lastError(Int32(n)))
                    }
                    break
                }
                if reads == 64 { drained = false }
            }
            if drained, !progress, libssh2_channel_eof(channel) != 0 { break }
            if !progress { try waitIO(until: deadline) }
        }
        // Collect the exit status: close our side and wait for the server's close.
        try retry(until: deadline) { libssh2_channel_close(channel) }
        try retry(until: deadline) { libssh2_channel_wait_closed(channel) }
        var status = libssh2_channel_get_exit_status(channel)
        var signal: UnsafeMutablePointer<CChar>?
        var signalLength = 0
        if libssh2_channel_get_exit_signal(channel, &signal, &signalLength, nil, nil, nil, nil) == 0, let signal {
            let name = String(cString: signal)
            libssh2_free(session, signal)
            let numbers = ["HUP": 1, "INT": 2, "QUIT": 3, "ABRT": 6, "KILL": 9, "SEGV": 11, "PIPE": 13, "ALRM": 14, "TERM": 15]
            status = Int32(128 + (numbers[name] ?? 127))
        }
        return CommandResult(stdout: out, stderr: err, exitStatus: status)
    }

    /// Frees a channel (sending a close if needed). One that cannot be freed right away (its
    /// command still runs after a timeout) is retried by the event loop, so it never holds up a job.
    func freeChannel(_ channel: OpaquePointer) {
        if libssh2_channel_free(channel) == LIBSSH2_ERROR_EAGAIN, broken == nil {
            abandonedChannels.append(channel)
        }
    }

    func freeAbandonedChannels() {
        guard !abandonedChannels.isEmpty, broken == nil else { return }
        abandonedChannels.removeAll { libssh2_channel_free($0) != LIBSSH2_ERROR_EAGAIN }
    }
}
