import CLibSSH2
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libssh2, initialised once per process before any session exists.
enum LibSSH2Runtime {
    static let ready: Bool = {
        _ = ignoreSIGPIPE
        return libssh2_init(0) == 0
    }()

    /// Writes to a closed pipe or socket (ssh's stdin, a tunnel client) must become errors, not kill the process.
    static let ignoreSIGPIPE: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()
}

/// The default transport: one libssh2 session per host, driven by one dedicated I/O thread.
///
/// Public methods are synchronous: they hand a job to the I/O thread and wait for it. The thread
/// runs libssh2 non-blocking; every wait (`poll`) also pumps open tunnels, so a tunnel keeps
/// flowing while a command or an upload runs on the same session. `onOutput` callbacks run on
/// the I/O thread: they must not call back into the same connection.
public final class LibSSH2Connection: Connection, @unchecked Sendable {
    // @unchecked Sendable: the only state is `loop`, which is itself thread-safe (see LibSSH2Loop).
    public let hostName: String
    public let endpoint: SSHEndpoint
    let loop: LibSSH2Loop

    /// Connects, checks the host key and authenticates, or throws a `ConnectionError`.
    public convenience init(endpoint: SSHEndpoint) throws {
        do {
            try self.init(connecting: endpoint)
        } catch let failure as LibSSH2AuthFailure {
            throw failure.error
        }
    }

    /// As `init(endpoint:)`, but an authentication failure comes as `LibSSH2AuthFailure` (the fallback needs its details).
    init(connecting endpoint: SSHEndpoint) throws {
        guard LibSSH2Runtime.ready else {
            throw ConnectionError.protocolError(host: endpoint.name, message: "libssh2_init failed")
        }
        self.hostName = endpoint.name
        self.endpoint = endpoint
        self.loop = LibSSH2Loop(endpoint: endpoint)
        do {
            try loop.perform { try $0.connect() }
        } catch {
            loop.shutdown()
            throw error
        }
    }

    deinit { loop.shutdown() }

    public func run(
        _ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
        onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?
    ) throws -> CommandResult {
        try loop.perform { try $0.run(command, stdin: stdin, become: become, timeout: timeout, onOutput: onOutput) }
    }

    public func put(_ data: Data, to path: String, attributes: FileAttributes, become: Bool) throws {
        try loop.perform { try $0.put(source: DataSource(data), to: path, attributes: attributes, become: become) }
    }

    public func put(file localPath: String, to path: String, attributes: FileAttributes, become: Bool) throws {
        guard let handle = FileHandle(forReadingAtPath: localPath) else {
            throw RemoteFileError(host: hostName, path: path, message: "cannot read local file \(localPath)")
        }
        defer { try? handle.close() }
        try loop.perform { try $0.put(source: FileSource(handle), to: path, attributes: attributes, become: become) }
    }

    public func openTunnel(toHost host: String, port: Int) throws -> any Tunnel {
        try loop.perform { try $0.openTunnel(host: host, port: port) }
    }

    public func close() { loop.shutdown() }
}

/// An authentication failure with what the fallback needs to know: the RSA keys that were refused.
struct LibSSH2AuthFailure: Error {
    var error: ConnectionError
    var rsaKeysTried: [String]
}

// MARK: - Byte sources for uploads

protocol ByteSource {
    /// Fills `buffer`; returns the number of bytes (0 at the end).
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

struct DataSource: ByteSource {
    let data: Data
    var offset = 0
    init(_ data: Data) { self.data = data }
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, data.count - offset)
        if n > 0 {
            data.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
            }
            offset += n
        }
        return n
    }
}

struct FileSource: ByteSource {
    let handle: FileHandle
    init(_ handle: FileHandle) { self.handle = handle }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var total = 0
        while total < buffer.count {
            let n = Glibc.read(handle.fileDescriptor, buffer.baseAddress! + total, buffer.count - total)
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if n == 0 { break }
            total += n
        }
        return total
    }
}

// MARK: - Tunnel handle

final class LibSSH2Tunnel: Tunnel, @unchecked Sendable {
    // @unchecked Sendable: immutable except through `loop`, which is thread-safe.
    let localPort: Int
    let id: Int
    private weak var loop: LibSSH2Loop?

    init(localPort: Int, id: Int, loop: LibSSH2Loop) {
        self.localPort = localPort
        self.id = id
        self.loop = loop
    }

    func close() { loop?.requestTunnelClose(id) }
    deinit { loop?.requestTunnelClose(id) }
}

// MARK: - The I/O thread

/// Owns the socket, the libssh2 session and every channel; all of them are touched only by its
/// thread. Other threads talk to it through `perform` (a job queue guarded by `lock`, plus a
/// self-pipe to wake the thread's `poll`).
final class LibSSH2Loop: @unchecked Sendable {
    // @unchecked Sendable: cross-thread state (`queue`, `stopping`, `closedTunnels`) is guarded
    // by `lock`; everything else is confined to `thread`.

    private final class Job: @unchecked Sendable {
        // @unchecked Sendable: `body` runs on the I/O thread while the submitter waits on `done`.
        let body: (LibSSH2Loop) -> Void
        let done = DispatchSemaphore(value: 0)
        init(_ body: @escaping (LibSSH2Loop) -> Void) { self.body = body }
    }

    private final class ResultBox<T>: @unchecked Sendable {
        // @unchecked Sendable: written on the I/O thread before `done` is signalled, read after.
        var result: Result<T, Error>?
    }

    let endpoint: SSHEndpoint
    private let lock = NSLock()
    private var queue: [Job] = []
    private var stopping = false
    private var stopped = false
    private var closedTunnels: [Int] = []
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1

    // Confined to the I/O thread.
    private var sock: Int32 = -1
    private var session: OpaquePointer?
    private var sftp: OpaquePointer?
    private var broken: ConnectionError?
    private var listeners: [TunnelListener] = []
    private var abandonedChannels: [OpaquePointer] = []
    private var nextTunnelID = 1
    private var openGate: ObjectIdentifier?  // who is in the middle of opening a channel
    private let jobGateToken = ObjectIdentifier(LibSSH2Loop.self)
    /// 256 KiB: SFTP writes of this size keep uploads near full speed, and eight hosts'
    /// buffers stay within the controller's memory budget (1 MiB each cost 6 MB more).
    static let bufferSize = 1 << 18
    /// Jobs' buffer (upload chunks, command output). Tunnels never touch it: they are serviced in
    /// the middle of a job's wait, while an upload chunk may still be pending in it.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: LibSSH2Loop.bufferSize, alignment: 16)
    /// Tunnels' own scratch buffer.
    private let tunnelBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    private var nextKeepalive = Date.distantFuture

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

    private var host: String { endpoint.name }

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

    private func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
    }

    // MARK: Thread main

    private func threadMain() {
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
    private func teardown() {
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

    private func idle() {
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

    private func socketWritable() -> Bool {
        var p = pollfd(fd: sock, events: Int16(POLLOUT), revents: 0)
        return poll(&p, 1, 0) == 1 && p.revents & Int16(POLLOUT) != 0
    }

    // MARK: Waiting

    private struct DeadlineExceeded: Error {}

    /// Waits until the session socket is ready in the direction libssh2 is blocked on, servicing
    /// tunnels meanwhile. Throws `DeadlineExceeded` once `deadline` has passed.
    private func waitIO(until deadline: Date?) throws {
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

    private func pollOnce(sessionEvents: Int16, timeoutMs: Int32) {
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
    private func retry(until deadline: Date?, _ call: () -> Int32) throws -> Int32 {
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
    private func retryHandle(until deadline: Date?, _ call: () -> OpaquePointer?) throws -> OpaquePointer? {
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
    private func openGated(until deadline: Date?, _ call: () -> OpaquePointer?) throws -> OpaquePointer? {
        while openGate != nil && openGate != jobGateToken { try waitIO(until: deadline) }
        openGate = jobGateToken
        defer { openGate = nil }
        return try retryHandle(until: deadline, call)
    }

    private func isFatal(_ rc: Int32) -> Bool {
        [LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_SEND, LIBSSH2_ERROR_SOCKET_DISCONNECT,
         LIBSSH2_ERROR_SOCKET_TIMEOUT, LIBSSH2_ERROR_TIMEOUT].contains(rc)
    }

    private static let debugging = ProcessInfo.processInfo.environment["PROVISION_TRANSPORT_DEBUG"] != nil

    private func debug(_ message: @autoclosure () -> String) {
        if LibSSH2Loop.debugging { FileHandle.standardError.write(Data("[libssh2 \(host)] \(message())\n".utf8)) }
    }

    private func markBroken(_ rc: Int32) {
        debug("session broken: \(rc) \(lastError(rc))")
        if broken == nil { broken = .disconnected(host: host, message: lastError(rc)) }
    }

    private func lastError(_ fallback: Int32 = 0) -> String {
        guard let session else { return "libssh2 error \(fallback)" }
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        let code = libssh2_session_last_error(session, &message, &length, 0)
        if let message, length > 0 { return String(cString: message) }
        return "libssh2 error \(code != 0 ? code : fallback)"
    }

    // MARK: Connect

    func connect() throws {
        try openSocket()
        guard let session = libssh2_session_init_ex(nil, nil, nil, nil) else {
            throw ConnectionError.protocolError(host: host, message: "cannot create an SSH session")
        }
        self.session = session
        libssh2_session_set_blocking(session, 0)

        let knownHostsPath = endpoint.knownHostsPath
        let knownHosts: KnownHosts
        do {
            knownHosts = try KnownHosts(contentsOf: knownHostsPath)
        } catch {
            throw ConnectionError.protocolError(host: host, message: "cannot read \(knownHostsPath): \(error.localizedDescription)")
        }
        let hostKeyName = endpoint.knownHostsName
        let supported = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"]
        let recorded = knownHosts.keyTypes(for: hostKeyName).filter(supported.contains)
        if !recorded.isEmpty {
            // libssh2 would otherwise ask for ECDSA first and find a key we do not have.
            _ = libssh2_session_method_pref(session, LIBSSH2_METHOD_HOSTKEY, recorded.joined(separator: ","))
        }

        let handshakeDeadline = Date().addingTimeInterval(max(endpoint.connectTimeout, 1))
        let rc: Int32
        do {
            rc = try retry(until: handshakeDeadline) { libssh2_session_handshake(session, libssh2_socket_t(sock)) }
        } catch is DeadlineExceeded {
            throw ConnectionError.protocolError(
                host: host, message: "no SSH handshake on port \(endpoint.port) within \(Int(endpoint.connectTimeout)) s (is it an SSH server?)")
        } catch let error as ConnectionError {
            if case .disconnected = error { broken = nil }
            throw ConnectionError.protocolError(
                host: host, message: "port \(endpoint.port) closed the connection during the SSH handshake (is it an SSH server?)")
        }
        if rc != 0 {
            let detail = lastError(rc)
            broken = nil
            if [LIBSSH2_ERROR_BANNER_RECV, LIBSSH2_ERROR_SOCKET_DISCONNECT, LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_KEX_FAILURE].contains(rc) {
                throw ConnectionError.protocolError(
                    host: host, message: "port \(endpoint.port) does not answer like an SSH server (\(detail))")
            }
            throw ConnectionError.protocolError(host: host, message: "SSH handshake failed: \(detail)")
        }

        try verifyHostKey(knownHosts: knownHosts, name: hostKeyName, file: knownHostsPath)
        try authenticate()
        if endpoint.keepAlive > 0 {
            libssh2_keepalive_config(session, 1, NumberRules.clampedUInt32(endpoint.keepAlive))
            nextKeepalive = Date().addingTimeInterval(endpoint.keepAlive)
        }
    }

    private func openSocket() throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let gai = getaddrinfo(endpoint.address, String(endpoint.port), &hints, &list)
        guard gai == 0, let list else {
            throw ConnectionError.nameResolution(host: endpoint.name == endpoint.address ? host : "\(host) (\(endpoint.address))")
        }
        defer { freeaddrinfo(list) }
        let deadline = Date().addingTimeInterval(endpoint.connectTimeout)
        var lastErrno: Int32 = 0
        var timedOut = false
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        while let ai = cursor {
            cursor = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), ai.pointee.ai_protocol)
            if fd < 0 { lastErrno = errno; continue }
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var rc = Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen)
            if rc != 0 && errno == EINPROGRESS {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                repeat {
                    let remaining = NumberRules.milliseconds(deadline.timeIntervalSinceNow)
                    rc = poll(&p, 1, remaining)
                } while rc < 0 && errno == EINTR
                if rc == 0 {
                    timedOut = true
                    Glibc.close(fd)
                    break
                }
                var soError: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len)
                if soError == 0 { rc = 0 } else { errno = soError; rc = -1 }
            }
            if rc == 0 {
                sock = fd
                return
            }
            lastErrno = errno
            Glibc.close(fd)
        }
        if timedOut {
            throw ConnectionError.timeout(host: host, port: endpoint.port, seconds: endpoint.connectTimeout)
        }
        switch lastErrno {
        case ECONNREFUSED: throw ConnectionError.refused(host: host, port: endpoint.port)
        case ETIMEDOUT: throw ConnectionError.timeout(host: host, port: endpoint.port, seconds: endpoint.connectTimeout)
        default:
            throw ConnectionError.protocolError(
                host: host, message: "cannot connect to \(endpoint.address) port \(endpoint.port): \(String(cString: strerror(lastErrno)))")
        }
    }

    private func verifyHostKey(knownHosts: KnownHosts, name: String, file: String) throws {
        var length = 0
        var type: Int32 = 0
        guard let raw = libssh2_session_hostkey(session, &length, &type), length > 0 else {
            throw ConnectionError.protocolError(host: host, message: "server sent no host key")
        }
        let key = [UInt8](UnsafeRawBufferPointer(start: raw, count: length))
        let keyType = KnownHosts.keyType(ofBlob: key) ?? "unknown"
        let presented = KnownHosts.fingerprint(key)
        let shownFile = SSHEndpoint.abbreviate(file)
        switch knownHosts.check(name: name, keyType: keyType, key: key) {
        case .match:
            return
        case .mismatch(let entry):
            throw ConnectionError.hostKeyChanged(
                host: host, expected: entry.fingerprint, presented: presented, knownHostsFile: shownFile, line: entry.line,
                recordedAs: endpoint.knownHostsName)
        case .revoked(let entry):
            throw ConnectionError.hostKeyRevoked(host: host, fingerprint: presented, knownHostsFile: shownFile, line: entry.line)
        case .certificateAuthority(let entry):
            throw ConnectionError.hostCertificateUnsupported(host: host, knownHostsFile: shownFile, line: entry.line)
        case .notFound:
            guard endpoint.acceptNewHostKeys else {
                throw ConnectionError.hostKeyUnknown(host: host, fingerprint: presented, knownHostsFile: shownFile)
            }
            do {
                try KnownHosts.append(name: name, keyType: keyType, key: key, toFile: file)
            } catch {
                throw ConnectionError.protocolError(host: host, message: "cannot record the host key in \(shownFile): \(error.localizedDescription)")
            }
        }
    }

    private func authenticate() throws {
        let user = endpoint.user
        let deadline = Date().addingTimeInterval(max(endpoint.connectTimeout, 1) * 3)
        var tried: [String] = []
        var rsaTried: [String] = []
        func fail() -> LibSSH2AuthFailure {
            LibSSH2AuthFailure(error: .authenticationFailed(user: user, host: host, tried: tried), rsaKeysTried: rsaTried)
        }
        let methods: String
        do {
            let list = try retryHandle(until: deadline) {
                libssh2_userauth_list(session, user, UInt32(user.utf8.count)).map { OpaquePointer($0) }
            }
            if libssh2_userauth_authenticated(session) != 0 { return }
            guard let list else { throw ConnectionError.protocolError(host: host, message: "authentication: \(lastError())") }
            methods = String(cString: UnsafePointer<CChar>(list))
        } catch is DeadlineExceeded {
            throw ConnectionError.timeout(host: host, port: endpoint.port, seconds: endpoint.connectTimeout)
        }
        guard methods.split(separator: ",").contains("publickey") else {
            tried.append("server offers only \(methods)")
            throw fail()
        }

        // Identity files: the explicit ones must be readable; the defaults are used when present.
        let explicit = !endpoint.identityFiles.isEmpty
        let files = explicit ? endpoint.identityFiles : SSHEndpoint.defaultIdentityFiles
        for file in files {
            let path = SSHEndpoint.expandTilde(file)
            let keyType: String?
            do {
                keyType = try PrivateKeyFile.inspect(path)
            } catch PrivateKeyFile.Problem.unreadable(let reason) {
                if explicit { throw ConnectionError.keyUnreadable(path: file, reason: reason) }
                continue
            }
            let label = SSHEndpoint.abbreviate(path)
            let rc: Int32
            do {
                rc = try retry(until: deadline) {
                    libssh2_userauth_publickey_fromfile_ex(session, user, UInt32(user.utf8.count), nil, path, nil)
                }
            } catch is DeadlineExceeded {
                throw ConnectionError.timeout(host: host, port: endpoint.port, seconds: endpoint.connectTimeout)
            }
            if rc == 0 { return }
            if let broken { throw broken }
            if rc == LIBSSH2_ERROR_FILE {
                tried.append("\(label) (cannot load: passphrase-protected or unsupported format)")
            } else {
                tried.append(label)
                if PrivateKeyFile.isRSA(keyType) { rsaTried.append(label) }
            }
        }

        // ssh-agent, unless IdentitiesOnly with identity files (OpenSSH semantics).
        if !(endpoint.identitiesOnly && explicit),
            let socketPath = ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"], !socketPath.isEmpty,
            let agent = libssh2_agent_init(session)
        {
            defer {
                _ = libssh2_agent_disconnect(agent)
                libssh2_agent_free(agent)
            }
            if libssh2_agent_connect(agent) == 0, libssh2_agent_list_identities(agent) == 0 {
                var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
                var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
                while libssh2_agent_get_identity(agent, &identity, previous) == 0, let current = identity {
                    previous = current
                    let blob = [UInt8](UnsafeBufferPointer(start: current.pointee.blob, count: Int(current.pointee.blob_len)))
                    let type = KnownHosts.keyType(ofBlob: blob) ?? "key"
                    let comment = current.pointee.comment.map { String(cString: $0) } ?? ""
                    let label = "agent \(type) \(comment)".trimmingCharacters(in: .whitespaces)
                    let rc: Int32
                    do {
                        rc = try retry(until: deadline) { libssh2_agent_userauth(agent, user, current) }
                    } catch is DeadlineExceeded {
                        throw ConnectionError.timeout(host: host, port: endpoint.port, seconds: endpoint.connectTimeout)
                    }
                    if rc == 0 { return }
                    if let broken { throw broken }
                    tried.append(label)
                    if type == "ssh-rsa" { rsaTried.append(label) }
                }
            }
        }
        throw fail()
    }

    // MARK: Commands

    func run(
        _ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
        onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?
    ) throws -> CommandResult {
        let wrapped = RemoteCommand.wrap(command, become: become)
        let result = try exec(wrapped, stdin: stdin, timeout: timeout, onOutput: onOutput)
        if become, RemoteCommand.sudoWantsPassword(exitStatus: result.exitStatus, stderr: result.stderr) {
            throw ConnectionError.sudoNeedsPassword(host: host)
        }
        return result
    }

    private func ensureSession() throws -> OpaquePointer {
        if let broken { throw broken }
        guard let session else { throw ConnectionError.disconnected(host: host, message: "not connected") }
        return session
    }

    private func exec(
        _ command: String, stdin: Data, timeout: TimeInterval?,
        onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?
    ) throws -> CommandResult {
        let session = try ensureSession()
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        do {
            guard let channel = try openGated(until: deadline, {
                libssh2_channel_open_ex(session, "session", 7, 2 * 1024 * 1024, 32768, nil, 0)
            }) else {
                if let broken { throw broken }
                throw ConnectionError.protocolError(host: host, message: "cannot open a channel: \(lastError())")
            }
            defer { freeChannel(channel) }
            let rc = try retry(until: deadline) {
                libssh2_channel_process_startup(channel, "exec", 4, command, UInt32(command.utf8.count))
            }
            if rc != 0 {
                if let broken { throw broken }
                throw ConnectionError.protocolError(host: host, message: "cannot start the command: \(lastError(rc))")
            }
            return try pumpCommand(channel, stdin: stdin, deadline: deadline, onOutput: onOutput)
        } catch is DeadlineExceeded {
            throw ConnectionError.protocolError(host: host, message: "command timed out after \(timeout.map { String(format: "%g", $0) } ?? "?") s")
        }
    }

    private func pumpCommand(
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
    private func freeChannel(_ channel: OpaquePointer) {
        if libssh2_channel_free(channel) == LIBSSH2_ERROR_EAGAIN, broken == nil {
            abandonedChannels.append(channel)
        }
    }

    private func freeAbandonedChannels() {
        guard !abandonedChannels.isEmpty, broken == nil else { return }
        abandonedChannels.removeAll { libssh2_channel_free($0) != LIBSSH2_ERROR_EAGAIN }
    }

    // MARK: Files

    private func sftpSession(deadline: Date?) throws -> OpaquePointer {
        if let sftp { return sftp }
        let session = try ensureSession()
        guard let handle = try openGated(until: deadline, { libssh2_sftp_init(session) }) else {
            if let broken { throw broken }
            throw ConnectionError.protocolError(host: host, message: "cannot start SFTP: \(lastError())")
        }
        sftp = handle
        return handle
    }

    private func sftpErrorText(_ sftp: OpaquePointer) -> String {
        if libssh2_session_last_errno(session) != LIBSSH2_ERROR_SFTP_PROTOCOL { return lastError() }
        switch libssh2_sftp_last_error(sftp) {
        case LIBSSH2_FX_NO_SUCH_FILE, LIBSSH2_FX_NO_SUCH_PATH: return "no such directory"
        case LIBSSH2_FX_PERMISSION_DENIED: return "permission denied"
        case let code: return "SFTP error \(code)"
        }
    }

    /// Writes `source` to a new remote file `remotePath` (must not exist) with `mode`.
    private func sftpWrite<S: ByteSource>(_ source: inout S, to remotePath: String, mode: Int, finalPath: String) throws {
        let sftp = try sftpSession(deadline: nil)
        let flags = UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL)
        guard let file = try retryHandle(until: nil, {
            libssh2_sftp_open_ex(sftp, remotePath, UInt32(remotePath.utf8.count), flags, mode, LIBSSH2_SFTP_OPENFILE)
        }) else {
            if let broken { throw broken }
            throw RemoteFileError(host: host, path: finalPath, message: sftpErrorText(sftp))
        }
        var closed = false
        defer { if !closed { _ = try? retry(until: Date().addingTimeInterval(5)) { libssh2_sftp_close_handle(file) } } }
        let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<LibSSH2Loop.bufferSize])
        while true {
            let count: Int
            do { count = try source.read(into: chunk) } catch {
                throw RemoteFileError(host: host, path: finalPath, message: "reading the local file: \(error.localizedDescription)")
            }
            if count == 0 { break }
            var offset = 0
            while offset < count {
                var n = 0
                try retry(until: nil) {
                    n = libssh2_sftp_write(file, chunk.baseAddress!.assumingMemoryBound(to: CChar.self) + offset, count - offset)
                    return n < 0 ? Int32(n) : 0
                }
                if n < 0 {
                    if let broken { throw broken }
                    throw RemoteFileError(host: host, path: finalPath, message: sftpErrorText(sftp))
                }
                offset += n
            }
        }
        // The server's umask applied at creation: set the exact mode.
        var attrs = LIBSSH2_SFTP_ATTRIBUTES()
        attrs.flags = UInt(LIBSSH2_SFTP_ATTR_PERMISSIONS)
        attrs.permissions = UInt(mode & 0o7777)
        try retry(until: nil) { libssh2_sftp_fstat_ex(file, &attrs, 1) }
        closed = true
        let rc = try retry(until: nil) { libssh2_sftp_close_handle(file) }
        if rc != 0 {
            if let broken { throw broken }
            throw RemoteFileError(host: host, path: finalPath, message: sftpErrorText(sftp))
        }
    }

    func put<S: ByteSource>(source: S, to path: String, attributes: FileAttributes, become: Bool) throws {
        var source = source
        let (dir, base) = RemoteCommand.split(path)
        if !become {
            // Straight into the destination directory as the login user, then rename.
            let temp = "\(dir)/.\(base).provision-\(RemoteCommand.randomSuffix())"
            try sftpWrite(&source, to: temp, mode: attributes.mode, finalPath: path)
            var script = ""
            if let owner = RemoteCommand.ownerSpec(attributes) { script += "chown -- \(Shell.quote(owner)) \(Shell.quote(temp)) && " }
            script += "mv -f -- \(Shell.quote(temp)) \(Shell.quote(path)) || { rm -f -- \(Shell.quote(temp)); exit 1; }"
            let result = try exec(script, stdin: Data(), timeout: nil, onOutput: nil)
            if result.exitStatus != 0 {
                throw RemoteFileError(host: host, path: path, message: firstLine(result.stderrText))
            }
            return
        }
        // Through a private temporary directory, then installed by root next to the destination.
        let made = try exec("mktemp -d", stdin: Data(), timeout: nil, onOutput: nil)
        let tempDir = made.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard made.exitStatus == 0, !tempDir.isEmpty else {
            throw RemoteFileError(host: host, path: path, message: "mktemp -d failed: \(firstLine(made.stderrText))")
        }
        let staged = tempDir + "/" + base
        do {
            try sftpWrite(&source, to: staged, mode: 0o600, finalPath: path)
        } catch {
            _ = try? exec("rm -rf -- \(Shell.quote(tempDir))", stdin: Data(), timeout: nil, onOutput: nil)
            throw error
        }
        let script = RemoteCommand.installScript(source: staged, path: path, attributes: attributes, cleanup: tempDir)
        let result = try exec(RemoteCommand.wrap(script, become: true), stdin: Data(), timeout: nil, onOutput: nil)
        if result.exitStatus != 0 {
            _ = try? exec("rm -rf -- \(Shell.quote(tempDir))", stdin: Data(), timeout: nil, onOutput: nil)
            if RemoteCommand.sudoWantsPassword(exitStatus: result.exitStatus, stderr: result.stderr) {
                throw ConnectionError.sudoNeedsPassword(host: host)
            }
            throw RemoteFileError(host: host, path: path, message: firstLine(result.stderrText))
        }
        _ = dir
    }

    private func firstLine(_ text: String) -> String {
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        return line.isEmpty ? "failed" : line
    }

    // MARK: Tunnels

    private final class TunnelListener {
        let id: Int
        let fd: Int32
        let host: String
        let port: Int
        var closing = false
        var clients: [TunnelClient] = []
        init(id: Int, fd: Int32, host: String, port: Int) {
            self.id = id; self.fd = fd; self.host = host; self.port = port
        }
    }

    private final class TunnelClient {
        var fd: Int32
        let clientPort: Int32
        var channel: OpaquePointer?
        var toChannel: [UInt8] = []
        var toChannelOffset = 0
        var toClient: [UInt8] = []
        var toClientOffset = 0
        var clientEOF = false
        var eofSent = false
        var channelEOF = false
        var shutWrite = false
        var closing = false
        var done = false
        init(fd: Int32, clientPort: Int32) { self.fd = fd; self.clientPort = clientPort }
    }

    /// Tunnel clients, open or still opening: the session socket must then be watched while idle.
    private var activeTunnelChannels: Bool {
        listeners.contains { !$0.clients.isEmpty }
    }

    func openTunnel(host remoteHost: String, port remotePort: Int) throws -> any Tunnel {
        _ = try ensureSession()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ConnectionError.protocolError(host: host, message: "cannot create a tunnel socket") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { ptr -> Bool in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        guard ok else {
            Glibc.close(fd)
            throw ConnectionError.protocolError(host: host, message: "cannot listen on 127.0.0.1 for a tunnel")
        }
        let id = nextTunnelID
        nextTunnelID += 1
        listeners.append(TunnelListener(id: id, fd: fd, host: remoteHost, port: remotePort))
        return LibSSH2Tunnel(localPort: Int(UInt16(bigEndian: addr.sin_port)), id: id, loop: self)
    }

    /// Moves tunnel data without blocking; returns whether anything moved.
    private func serviceTunnels() -> Bool {
        freeAbandonedChannels()
        guard !listeners.isEmpty else { return false }
        lock.lock()
        let closing = closedTunnels
        closedTunnels.removeAll()
        lock.unlock()
        var progress = false
        for listener in listeners {
            if closing.contains(listener.id), !listener.closing {
                listener.closing = true
                Glibc.close(listener.fd)
                for client in listener.clients { client.closing = true }
                progress = true
            }
            if !listener.closing { progress = acceptClients(listener) || progress }
            for client in listener.clients { progress = pump(client, listener) || progress }
            listener.clients.removeAll { $0.done }
        }
        listeners.removeAll { $0.closing && $0.clients.isEmpty }
        return progress
    }

    private func acceptClients(_ listener: TunnelListener) -> Bool {
        var accepted = false
        while true {
            var addr = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let fd = withUnsafeMutablePointer(to: &addr) { ptr in
                ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener.fd, $0, &len) }
            }
            if fd < 0 { return accepted }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            listener.clients.append(TunnelClient(fd: fd, clientPort: Int32(UInt16(bigEndian: addr.sin_port))))
            accepted = true
        }
    }

    private func transient(_ rc: Int) -> Bool { rc == Int(LIBSSH2_ERROR_EAGAIN) || rc == Int(LIBSSH2_ERROR_BAD_USE) }

    private func pump(_ client: TunnelClient, _ listener: TunnelListener) -> Bool {
        guard let session, broken == nil else {
            client.closing = true
            return finishClient(client)
        }
        if client.closing {
            // libssh2 keeps one channel-open state machine per session: an open still in
            // flight must be driven to its end here, or the next open (another tunnel client,
            // a command) would continue it and inherit its answer.
            if client.channel == nil, openGate == ObjectIdentifier(client) {
                if let channel = libssh2_channel_direct_tcpip_ex(session, listener.host, Int32(listener.port), "127.0.0.1", client.clientPort) {
                    client.channel = channel
                } else if libssh2_session_last_errno(session) == LIBSSH2_ERROR_EAGAIN {
                    return false
                }
                openGate = nil
            }
            return finishClient(client)
        }
        var progress = false
        if client.channel == nil {
            let token = ObjectIdentifier(client)
            if openGate != nil && openGate != token { return false }
            if let channel = libssh2_channel_direct_tcpip_ex(session, listener.host, Int32(listener.port), "127.0.0.1", client.clientPort) {
                openGate = nil
                client.channel = channel
                progress = true
            } else if libssh2_session_last_errno(session) == LIBSSH2_ERROR_EAGAIN {
                openGate = token
                return false
            } else if libssh2_session_last_errno(session) == LIBSSH2_ERROR_BAD_USE {
                // A job's packet is half sent; libssh2 reset the open: try again on a later round.
                openGate = nil
                return false
            } else {
                openGate = nil
                let rc = libssh2_session_last_errno(session)
                debug("tunnel open failed: \(rc) \(lastError(rc))")
                if isFatal(rc) { markBroken(rc) }
                client.closing = true
                return finishClient(client)
            }
        }
        guard let channel = client.channel else { return progress }
        // client -> channel
        if client.toChannel.isEmpty && !client.clientEOF {
            let n = recv(client.fd, tunnelBuffer.baseAddress!, 65536, Int32(MSG_DONTWAIT))
            if n > 0 {
                client.toChannel = [UInt8](UnsafeRawBufferPointer(start: tunnelBuffer.baseAddress!, count: n))
                client.toChannelOffset = 0
                progress = true
            } else if n == 0 {
                client.clientEOF = true
                progress = true
            } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                client.closing = true
                return finishClient(client)
            }
        }
        if client.toChannelOffset < client.toChannel.count {
            let n = client.toChannel.withUnsafeBufferPointer { buf -> Int in
                buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                    libssh2_channel_write_ex(channel, 0, $0 + client.toChannelOffset, buf.count - client.toChannelOffset)
                }
            }
            if n > 0 {
                client.toChannelOffset += n
                progress = true
                if client.toChannelOffset == client.toChannel.count { client.toChannel = []; client.toChannelOffset = 0 }
            } else if n < 0 && !transient(n) {
                debug("tunnel write failed: \(n) \(lastError(Int32(n)))")
                if isFatal(Int32(n)) { markBroken(Int32(n)) }
                client.closing = true
                return finishClient(client)
            }
        }
        if client.clientEOF && client.toChannel.isEmpty && !client.eofSent {
            let rc = libssh2_channel_send_eof(channel)
            if rc == 0 || !transient(Int(rc)) { client.eofSent = true; progress = true }
        }
        // channel -> client
        if client.toClient.isEmpty && !client.channelEOF {
            let n = libssh2_channel_read_ex(channel, 0, tunnelBuffer.baseAddress!.assumingMemoryBound(to: CChar.self), 65536)
            if n > 0 {
                client.toClient = [UInt8](UnsafeRawBufferPointer(start: tunnelBuffer.baseAddress!, count: n))
                client.toClientOffset = 0
                progress = true
            } else if n < 0 && !transient(n) {
                debug("tunnel read failed: \(n) \(lastError(Int32(n)))")
                if isFatal(Int32(n)) { markBroken(Int32(n)) }
                client.closing = true
                return finishClient(client)
            } else if libssh2_channel_eof(channel) != 0 {
                client.channelEOF = true
                progress = true
            }
        }
        if client.toClientOffset < client.toClient.count {
            let n = client.toClient.withUnsafeBufferPointer { buf in
                send(client.fd, buf.baseAddress! + client.toClientOffset, buf.count - client.toClientOffset, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            }
            if n > 0 {
                client.toClientOffset += n
                progress = true
                if client.toClientOffset == client.toClient.count { client.toClient = []; client.toClientOffset = 0 }
            } else if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                client.closing = true
                return finishClient(client)
            }
        }
        if client.channelEOF && client.toClient.isEmpty && !client.shutWrite {
            Glibc.shutdown(client.fd, Int32(SHUT_WR))
            client.shutWrite = true
        }
        if client.channelEOF && client.clientEOF && client.eofSent && client.toClient.isEmpty && client.toChannel.isEmpty {
            client.closing = true
            return finishClient(client) || true
        }
        return progress
    }

    private func finishClient(_ client: TunnelClient) -> Bool {
        if let channel = client.channel {
            if libssh2_channel_free(channel) == LIBSSH2_ERROR_EAGAIN && broken == nil { return false }
            client.channel = nil
        }
        if openGate == ObjectIdentifier(client) { openGate = nil }
        if client.fd >= 0 { Glibc.close(client.fd); client.fd = -1 }
        client.done = true
        return true
    }
}
