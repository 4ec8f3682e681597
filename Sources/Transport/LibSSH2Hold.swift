import CLibSSH2
import Foundation
import ProvisionCore

/// Commands kept running on an exec channel of the session (`CommandHolding`): the channel
/// stays open, its stdin never ended, until `release` or the session's end.
extension LibSSH2Loop {
    func hold(_ script: String, input: Data, become: Bool, readyPrefix: String, timeout: TimeInterval?) throws -> HoldOutcome {
        let stdin = ScriptOnStdin.stdin(script: script, then: input)
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        do {
            let channel = try startBootstrap(become: become, until: deadline)
            var kept = false
            defer { if !kept { freeChannel(channel) } }
            var offset = 0
            while offset < stdin.count {
                let n = stdin.withUnsafeBytes { raw -> Int in
                    libssh2_channel_write_ex(channel, 0, raw.baseAddress!.assumingMemoryBound(to: CChar.self) + offset, stdin.count - offset)
                }
                if n > 0 { offset += n; continue }
                if n != Int(LIBSSH2_ERROR_EAGAIN) {
                    if isFatal(Int32(n)) { markBroken(Int32(n)); throw broken! }
                    break  // the command stopped reading: it will end, and say why
                }
                try waitIO(until: deadline)
            }
            var output = Data()
            while true {
                var progress = false
                for stream in [Int32(0), Int32(1)] {
                    let n = libssh2_channel_read_ex(channel, stream, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), 4096)
                    if n > 0 {
                        output.append(Data(bytes: buffer.baseAddress!, count: n))
                        progress = true
                    } else if n < 0, n != Int(LIBSSH2_ERROR_EAGAIN) {
                        if isFatal(Int32(n)) { markBroken(Int32(n)); throw broken! }
                        throw ConnectionError.disconnected(host: host, message: lastError(Int32(n)))
                    }
                }
                if let ready = HoldOutcome.readyLine(in: output, prefix: readyPrefix) {
                    let id = nextHeldID
                    nextHeldID += 1
                    heldChannels[id] = channel
                    kept = true
                    return .holding(readyLine: ready.line, before: ready.before, LibSSH2HeldChannel(loop: self, id: id))
                }
                if !progress, libssh2_channel_eof(channel) != 0 { break }
                if !progress { try waitIO(until: deadline) }
            }
            try retry(until: deadline) { libssh2_channel_close(channel) }
            try retry(until: deadline) { libssh2_channel_wait_closed(channel) }
            return .ended(CommandResult(stdout: output, stderr: Data(), exitStatus: libssh2_channel_get_exit_status(channel)))
        } catch is DeadlineExceeded {
            throw ConnectionError.timeout(host: host, port: endpoint.port, seconds: timeout ?? 0)
        }
    }

    /// Ends a held command's stdin and lets the channel go (without waiting for the host).
    func releaseHeld(_ id: Int) {
        guard let channel = heldChannels.removeValue(forKey: id) else { return }
        _ = libssh2_channel_send_eof(channel)
        freeChannel(channel)
    }
}

/// A held command on a libssh2 session.
final class LibSSH2HeldChannel: HeldCommand, @unchecked Sendable {
    // @unchecked Sendable: `loop` is thread-safe through `perform`; the id is immutable.
    let loop: LibSSH2Loop
    let id: Int

    init(loop: LibSSH2Loop, id: Int) {
        self.loop = loop
        self.id = id
    }

    func release() {
        let id = self.id
        // A closed session has let the command go already.
        try? loop.perform { $0.releaseHeld(id) }
    }
}
