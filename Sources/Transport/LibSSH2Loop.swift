import CLibSSH2
import Foundation
import ProvisionCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - The I/O thread

/// Owns the socket, the libssh2 session and every channel; all of them are touched only by its
/// thread. Other threads talk to it through `perform` (a job queue guarded by `lock`, plus a
/// self-pipe to wake the thread's `poll`).
final class LibSSH2Loop: @unchecked Sendable {
    // @unchecked Sendable: cross-thread state (`queue`, `stopping`, `closedTunnels`) is guarded
    // by `lock`; everything else is confined to `thread`.

    final class Job: @unchecked Sendable {
        // @unchecked Sendable: `body` runs on the I/O thread while the submitter waits on `done`.
        let body: (LibSSH2Loop) -> Void
        let done = DispatchSemaphore(value: 0)
        init(_ body: @escaping (LibSSH2Loop) -> Void) { self.body = body }
    }

    final class ResultBox<T>: @unchecked Sendable {
        // @unchecked Sendable: written on the I/O thread before `done` is signalled, read after.
        var result: Result<T, Error>?
    }

    let endpoint: SSHEndpoint
    let lock = NSLock()
    var queue: [Job] = []
    var stopping = false
    var stopped = false
    var closedTunnels: [Int] = []
    let finished = DispatchSemaphore(value: 0)
    var thread: Thread?
    var wakeRead: Int32 = -1
    var wakeWrite: Int32 = -1

    // Confined to the I/O thread.
    var sock: Int32 = -1
    var session: OpaquePointer?
    var sftp: OpaquePointer?
    var broken: ConnectionError?
    var listeners: [TunnelListener] = []
    var abandonedChannels: [OpaquePointer] = []
    /// Channels whose command runs on with its stdin open (`hold`), by id.
    var heldChannels: [Int: OpaquePointer] = [:]
    var nextHeldID = 1
    var nextTunnelID = 1
    var openGate: ObjectIdentifier?  // who is in the middle of opening a channel
    let jobGateToken = ObjectIdentifier(LibSSH2Loop.self)
    /// 256 KiB: SFTP writes of this size keep uploads near full speed, and eight hosts'
    /// buffers stay within the controller's memory budget (1 MiB each cost 6 MB more).
    static let bufferSize = 1 << 18
    /// Jobs' buffer (upload chunks, command output). Tunnels never touch it: they are serviced in
    /// the middle of a job's wait, while an upload chunk may still be pending in it.
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: LibSSH2Loop.bufferSize, alignment: 16)
    /// Tunnels' own scratch buffer.
    let tunnelBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    var nextKeepalive = Date.distantFuture

    init(endpoint: SSHEndpoint) {
        self.endpoint = endpoint
        var fds: [Int32] = [0, 0]
        if pipe(&fds) == 0 {
            wakeRead = fds[0]
            wakeWrite = fds[1]
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        let thread = Thread { [unowned self] in self.threadMain() }
        thread.name = "ssh-\(endpoint.name)"
        self.thread = thread
        thread.start()
    }

    deinit {
        buffer.deallocate()
        tunnelBuffer.deallocate()
        if wakeRead >= 0 { Glibc.close(wakeRead) }
        if wakeWrite >= 0 { Glibc.close(wakeWrite) }
    }

    var host: String { endpoint.name }

    // MARK: Cross-thread API

    /// Runs `body` on the I/O thread and waits for it.
    func perform<T>(_ body: @escaping (LibSSH2Loop) throws -> T) throws -> T {
        if Thread.current === thread {
            throw ConnectionError.protocolError(host: host, message: "connection used from its own I/O thread (an onOutput callback?)")
        }
        let box = ResultBox<T>()
        let job = Job { loop in box.result = Result { try body(loop) } }
        lock.lock()
        if stopping {
            lock.unlock()
            throw ConnectionError.disconnected(host: host, message: "connection closed")
        }
        queue.append(job)
        lock.unlock()
        wake()
        job.done.wait()
        return try box.result!.get()
    }

    /// Stops the thread after the queued jobs, frees everything, and waits for it. Idempotent.
    func shutdown() {
        lock.lock()
        let first = !stopping
        stopping = true
        lock.unlock()
        if Thread.current === thread { return }
        if first {
            wake()
            finished.wait()
            lock.lock(); stopped = true; lock.unlock()
        } else {
            // Another caller is already waiting; wait for it to finish too.
            while true {
                lock.lock(); let done = stopped; lock.unlock()
                if done { break }
                usleep(1000)
            }
        }
    }

    func requestTunnelClose(_ id: Int) {
        lock.lock()
        closedTunnels.append(id)
        lock.unlock()
        wake()
    }

    func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
    }

    // MARK: Thread main

    func threadMain() {
        while true {
            lock.lock()
            let job = queue.isEmpty ? nil : queue.removeFirst()
            let stop = stopping
            lock.unlock()
            if let job {
                job.body(self)
                job.done.signal()
                continue
            }
            if stop { break }
            idle()
        }
        // Jobs that raced with shutdown.
        lock.lock()
        let leftovers = queue
        queue.removeAll()
        lock.unlock()
        for job in leftovers { job.body(self); job.done.signal() }
        teardown()
        finished.signal()
    }

    /// The one place where every C handle is released.
    func teardown() {
        if let session {
            libssh2_session_set_timeout(session, 2000)
            libssh2_session_set_blocking(session, 1)
        }
        for listener in listeners {
            for client in listener.clients {
                if let ch = client.channel { libssh2_channel_free(ch) }
                if client.fd >= 0 { Glibc.close(client.fd) }
            }
            if listener.fd >= 0 { Glibc.close(listener.fd) }
        }
        listeners.removeAll()
        for channel in abandonedChannels { libssh2_channel_free(channel) }
        abandonedChannels.removeAll()
        for channel in heldChannels.values { libssh2_channel_free(channel) }
        heldChannels.removeAll()
        if let session {
            // Blocking with a short timeout, so that nothing here can return "again" and leak.
            libssh2_session_set_timeout(session, 2000)
            libssh2_session_set_blocking(session, 1)
            if let sftp { _ = libssh2_sftp_shutdown(sftp) }
            // Best effort: a polite disconnect if the socket takes it right away.
            if broken == nil { _ = libssh2_session_disconnect_ex(session, 11, "bye", "") }
            libssh2_session_free(session)
        }
        sftp = nil
        session = nil
        if sock >= 0 { Glibc.close(sock) }
        sock = -1
    }

    func idle() {
        var timeout: Int32 = -1
        if session != nil, broken == nil, endpoint.keepAlive > 0 {
            let now = Date()
            if now >= nextKeepalive, openGate == nil, socketWritable() {
                var next: Int32 = 0
                let rc = libssh2_keepalive_send(session, &next)
                if isFatal(rc) { markBroken(rc) }
                nextKeepalive = now.addingTimeInterval(TimeInterval(max(next, 1)))
            }
            timeout = Int32(min(max(nextKeepalive.timeIntervalSinceNow * 1000, 1), 60_000))
        }
        let progressed = serviceTunnels()
        let waiting = activeTunnelChannels || !abandonedChannels.isEmpty
        var events: Int16 = 0
        if waiting, let session {
            let directions = libssh2_session_block_directions(session)
            events = Int16(POLLIN)
            if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
        }
        pollOnce(sessionEvents: events, timeoutMs: progressed ? 0 : (abandonedChannels.isEmpty ? timeout : 1000))
        _ = serviceTunnels()
    }

    func socketWritable() -> Bool {
        var p = pollfd(fd: sock, events: Int16(POLLOUT), revents: 0)
        return poll(&p, 1, 0) == 1 && p.revents & Int16(POLLOUT) != 0
    }

    // MARK: Waiting

    struct DeadlineExceeded: Error {}

    /// Waits until the session socket is ready in the direction libssh2 is blocked on, servicing
    /// tunnels meanwhile. Throws `DeadlineExceeded` once `deadline` has passed.
    func waitIO(until deadline: Date?) throws {
        if let broken { throw broken }
        if let deadline, Date() >= deadline { throw DeadlineExceeded() }
        let progressed = serviceTunnels()
        var events: Int16 = 0
        let directions = session.map { libssh2_session_block_directions($0) } ?? 0
        if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
        if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
        var timeout: Int32 = events == 0 ? 10 : 1000
        if let deadline { timeout = Int32(min(Int64(timeout), Int64(NumberRules.milliseconds(deadline.timeIntervalSinceNow)) + 1)) }
        if progressed { timeout = 0 }
        pollOnce(sessionEvents: events == 0 ? Int16(POLLIN) : events, timeoutMs: timeout)
    }

    func pollOnce(sessionEvents: Int16, timeoutMs: Int32) {
        var fds: [pollfd] = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        if sock >= 0, sessionEvents != 0, broken == nil { fds.append(pollfd(fd: sock, events: sessionEvents, revents: 0)) }
        for listener in listeners {
            if !listener.closing { fds.append(pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0)) }
            for client in listener.clients where client.channel != nil && !client.closing {
                var ev: Int16 = 0
                if client.toChannel.isEmpty && !client.clientEOF { ev |= Int16(POLLIN) }
                if !client.toClient.isEmpty { ev |= Int16(POLLOUT) }
                if ev != 0 { fds.append(pollfd(fd: client.fd, events: ev, revents: 0)) }
            }
        }
        var rc: Int32
        repeat { rc = poll(&fds, nfds_t(fds.count), timeoutMs) } while rc < 0 && errno == EINTR
        if fds[0].revents != 0 {
            var sink = [UInt8](repeating: 0, count: 256)
            while Glibc.read(wakeRead, &sink, sink.count) > 0 {}
        }
    }

    /// Retries a libssh2 call returning an int until it stops saying "again".
    @discardableResult
    func retry(until deadline: Date?, _ call: () -> Int32) throws -> Int32 {
        var badUseSince: Date?
        while true {
            let rc = call()
            if rc == LIBSSH2_ERROR_EAGAIN {
                badUseSince = nil
                try waitIO(until: deadline)
                continue
            }
            if rc == LIBSSH2_ERROR_BAD_USE {
                // A tunnel has a packet half sent; servicing tunnels completes it.
                let since = badUseSince ?? Date()
                badUseSince = since
                if Date().timeIntervalSince(since) < 10 { try waitIO(until: deadline); continue }
            }
            if isFatal(rc) { markBroken(rc) }
            return rc
        }
    }

    /// Retries a libssh2 call returning a handle; nil means it failed (see `lastError`).
    func retryHandle(until deadline: Date?, _ call: () -> OpaquePointer?) throws -> OpaquePointer? {
        let started = Date()
        while true {
            if let handle = call() { return handle }
            let rc = libssh2_session_last_errno(session)
            if rc == LIBSSH2_ERROR_EAGAIN { try waitIO(until: deadline); continue }
            // A tunnel's packet is half sent; libssh2 reset this call's state: wait and start over.
            if rc == LIBSSH2_ERROR_BAD_USE, Date().timeIntervalSince(started) < 10 { try waitIO(until: deadline); continue }
            if isFatal(rc) { markBroken(rc) }
            return nil
        }
    }

    /// Opening a channel uses session-wide state in libssh2: one opener at a time (jobs and tunnels).
    func openGated(until deadline: Date?, _ call: () -> OpaquePointer?) throws -> OpaquePointer? {
        while openGate != nil && openGate != jobGateToken { try waitIO(until: deadline) }
        openGate = jobGateToken
        defer { openGate = nil }
        return try retryHandle(until: deadline, call)
    }

    func isFatal(_ rc: Int32) -> Bool {
        [LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_SEND, LIBSSH2_ERROR_SOCKET_DISCONNECT,
         LIBSSH2_ERROR_SOCKET_TIMEOUT, LIBSSH2_ERROR_TIMEOUT].contains(rc)
    }

    static let debugging = ProcessInfo.processInfo.environment["PROVISION_TRANSPORT_DEBUG"] != nil

    func debug(_ message: @autoclosure () -> String) {
        if LibSSH2Loop.debugging { FileHandle.standardError.write(Data("[libssh2 \(host)] \(message())\n".utf8)) }
    }

    func markBroken(_ rc: Int32) {
        debug("session broken: \(rc) \(lastError(rc))")
        if broken == nil { broken = .disconnected(host: host, message: lastError(rc)) }
    }

    func lastError(_ fallback: Int32 = 0) -> String {
        guard let session else { return "libssh2 error \(fallback)" }
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        let code = libssh2_session_last_error(session, &message, &length, 0)
        if let message, length > 0 { return String(cString: message) }
        return "libssh2 error \(code != 0 ? code : fallback)"
    }
}
