import CLibSSH2
import Foundation

/// The default transport: one libssh2 session per host, reused for every command, upload
/// and tunnel. libssh2 runs non-blocking on one I/O thread owned by the connection; the
/// public methods hand it a job and wait. Every wait inside a job also services the
/// tunnels, so a MySQL client can use a tunnel while commands run on the same session.
public final class LibSSH2Connection: Connection, @unchecked Sendable {
    public let hostName: String
    let host: ResolvedHost
    private let loop: SessionLoop

    /// libssh2_init must run once, before any thread uses the library.
    static let initialized: Bool = { libssh2_init(0) == 0 }()

    public init(host: ResolvedHost, acceptNewHostKeys: Bool, connectTimeout: Int = 10) throws {
        precondition(Self.initialized, "libssh2_init failed")
        self.host = host
        hostName = host.name
        loop = SessionLoop(host: host)
        try loop.start()
        try loop.perform { try $0.connect(acceptNewHostKeys: acceptNewHostKeys, timeout: TimeInterval(host.connectTimeout ?? connectTimeout)) }
    }

    public func run(
        _ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
        onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?
    ) throws -> CommandResult {
        let remote = become ? SudoCommand.wrap(command) : command
        let result = try loop.perform { try $0.exec(remote, input: .data(stdin), timeout: timeout, onOutput: onOutput) }
        if become, SudoCommand.needsPassword(result) { throw ConnectionError.sudoNeedsPassword(host: hostName) }
        return result
    }

    public func put(_ data: Data, to path: String, attributes: FileAttributes, become: Bool) throws {
        try put(input: .data(data), to: path, attributes: attributes, become: become)
    }

    public func put(file localPath: String, to path: String, attributes: FileAttributes, become: Bool) throws {
        guard FileManager.default.isReadableFile(atPath: localPath) else {
            throw ModuleError("cannot read \(localPath) on the controller")
        }
        try put(input: .file(localPath), to: path, attributes: attributes, become: become)
    }

    /// Streams the bytes into the same atomic-write script every transport uses.
    private func put(input: ProcessRunner.Input, to path: String, attributes: FileAttributes, become: Bool) throws {
        let script = RemoteFileScript.atomicWrite(to: path, attributes: attributes, source: "cat")
        let remote = become ? SudoCommand.wrap(script) : script
        let result = try loop.perform { try $0.exec(remote, input: input, timeout: nil, onOutput: nil) }
        if become, SudoCommand.needsPassword(result) { throw ConnectionError.sudoNeedsPassword(host: hostName) }
        guard result.succeeded else {
            throw ModuleError("writing \(path) on \(hostName) failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    public func openTunnel(toHost target: String, port: Int) throws -> any Tunnel {
        let forward = try loop.perform { try $0.listen(toHost: target, port: port) }
        return LibSSH2Tunnel(localPort: forward, loop: loop)
    }

    public func close() { loop.stop() }

    deinit { loop.stop() }
}

final class LibSSH2Tunnel: Tunnel, @unchecked Sendable {
    let localPort: Int
    private let loop: SessionLoop

    init(localPort: Int, loop: SessionLoop) {
        self.localPort = localPort
        self.loop = loop
    }

    func close() {
        let port = localPort
        _ = try? loop.perform { $0.closeForward(localPort: port) }
    }
}

/// The I/O thread and everything it owns: socket, session, forwards.
final class SessionLoop: @unchecked Sendable {
    // Touched only on the I/O thread, except `jobs`/`running` (guarded by `lock`) and the
    // wake pipe's write end.
    let host: ResolvedHost
    var socket: Int32 = -1
    var session: OpaquePointer?
    var forwards: [Forward] = []
    /// libssh2 keeps one channel-open state machine per session: a second open started
    /// while one is pending would continue the first. Whoever holds this drives its open
    /// to the end before anyone else starts one.
    var openOwner: ObjectIdentifier?
    private let lock = NSLock()
    private var jobs: [() -> Void] = []
    private var running = false
    private var thread: Thread?
    private var wake: [Int32] = [-1, -1]

    init(host: ResolvedHost) { self.host = host }

    func start() throws {
        guard pipe(&wake) == 0 else { throw ConnectionError.protocolError(host: host.name, message: "no pipe for the I/O thread") }
        for fd in wake { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        running = true
        let thread = Thread { [self] in self.main() }
        thread.name = "ssh \(host.name)"
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    /// Runs `body` on the I/O thread and returns its result to the calling thread.
    func perform<T>(_ body: @escaping (SessionLoop) throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<T, Error> = .failure(ConnectionError.disconnected(host: host.name, message: "connection closed"))
        lock.lock()
        guard running else {
            lock.unlock()
            throw ConnectionError.disconnected(host: host.name, message: "connection closed")
        }
        jobs.append { [self] in
            outcome = Result { try body(self) }
            done.signal()
        }
        lock.unlock()
        var byte: UInt8 = 1
        _ = write(wake[1], &byte, 1)
        done.wait()
        return try outcome.get()
    }

    func stop() {
        lock.lock()
        let wasRunning = running
        lock.unlock()
        guard wasRunning else { return }
        if Thread.current === thread {
            shutdown()
            return
        }
        _ = try? perform { $0.shutdown() }
    }

    private func main() {
        while true {
            lock.lock()
            let next = jobs.isEmpty ? nil : jobs.removeFirst()
            let alive = running
            lock.unlock()
            if let next { next(); continue }
            if !alive { break }
            // Idle: service tunnels and keepalives until a job arrives.
            waitSocket(timeout: 1.0, idle: true)
            if let session {
                var next: Int32 = 0
                _ = libssh2_keepalive_send(session, &next)
            }
        }
        for fd in wake where fd >= 0 { Glibc.close(fd) }
    }

    private func shutdown() {
        for forward in forwards { forward.closeAll() }
        forwards = []
        if let session {
            libssh2_session_set_blocking(session, 1)
            _ = libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, "bye", "")
            libssh2_session_free(session)
            self.session = nil
        }
        if socket >= 0 { Glibc.close(socket); socket = -1 }
        lock.lock()
        running = false
        lock.unlock()
    }

    // MARK: waiting

    /// Waits until the session socket is ready in the directions libssh2 asked for (or a
    /// job arrives when idle), servicing tunnels meanwhile.
    func waitSocket(timeout: TimeInterval, idle: Bool = false) {
        var fds: [pollfd] = []
        if socket >= 0 {
            var events: Int16 = 0
            if let session {
                let directions = libssh2_session_block_directions(session)
                if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
                if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
            }
            if events == 0 || idle || !forwards.isEmpty { events |= Int16(POLLIN) }
            fds.append(pollfd(fd: socket, events: events, revents: 0))
        }
        if idle { fds.append(pollfd(fd: wake[0], events: Int16(POLLIN), revents: 0)) }
        for forward in forwards { fds += forward.pollDescriptors() }
        let wait = forwards.contains(where: { $0.hasPendingWork }) ? 5 : Int32(timeout * 1000)
        _ = poll(&fds, nfds_t(fds.count), wait)
        if idle {
            var drain = [UInt8](repeating: 0, count: 64)
            _ = read(wake[0], &drain, drain.count)
        }
        serviceForwards()
    }

    /// Repeats a libssh2 call while it says EAGAIN, up to `deadline`.
    func retry<T: BinaryInteger>(_ what: String, deadline: Date?, _ call: () -> T) throws -> T {
        while true {
            let rc = call()
            if rc != T(LIBSSH2_ERROR_EAGAIN) { return rc }
            if let deadline, Date() > deadline {
                throw ConnectionError.timeout(host: host.name, port: host.port, seconds: deadline.timeIntervalSinceNow)
            }
            waitSocket(timeout: 0.5)
        }
    }

    func retryPointer<T>(_ what: String, deadline: Date?, _ call: () -> T?) throws -> T {
        while true {
            if let value = call() { return value }
            guard let session, libssh2_session_last_errno(session) == LIBSSH2_ERROR_EAGAIN else {
                throw ConnectionError.disconnected(host: host.name, message: "\(what): \(lastError())")
            }
            if let deadline, Date() > deadline {
                throw ConnectionError.timeout(host: host.name, port: host.port, seconds: 0)
            }
            waitSocket(timeout: 0.5)
        }
    }

    func lastError() -> String {
        guard let session else { return "no session" }
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        _ = libssh2_session_last_error(session, &message, &length, 0)
        return message.map { String(cString: $0) } ?? "unknown error"
    }
}
