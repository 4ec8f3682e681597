import Foundation
import ProvisionCore
#if canImport(Glibc)
import Glibc
#endif

/// Runs a local program with both output streams drained at once (a large output on one
/// cannot block the other), optional input, a timeout, and streaming callbacks.
///
/// Spawned with posix_spawn, not Foundation's `Process`: `Process` learns that its child
/// exited when a socket it gives the child closes, and a background process the command
/// leaves behind (a daemon started by `service`, a lock holder) inherits that socket and its
/// stdout, so the run would wait for the daemon. Here the child inherits only fds 0-2 (fds
/// 3 and up are closed), the exit is learnt from `waitpid`, and output is read until EOF or
/// at most `drainAfterExit` seconds after the exit.
enum ProcessRunner {
    enum Input {
        case data(Data)
        case file(String)
    }

    struct TimedOut: Error {}

    /// How long output is still read after the child exited (a grandchild may hold the pipes).
    static let drainAfterExit: TimeInterval = 1

    /// The program behind a shell that closes fds 3-9 first: the one part of "close every
    /// inherited fd" that works where posix_spawn cannot close a range (glibc before 2.34).
    static func closingInheritedDescriptors(_ executable: String, _ arguments: [String]) -> (String, [String]) {
        ("/bin/sh", ["-c", "exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- && exec \"$0\" \"$@\"", executable] + arguments)
    }

    static func run(_ executable: String, _ arguments: [String], input: Input = .data(Data()),
                    environment: [String: String]? = nil, timeout: TimeInterval? = nil,
                    onOutput: (@Sendable (OutputStreamKind, Data) -> Void)? = nil) throws -> CommandResult {
        var stdinSource: Int32
        var stdinWriter: Int32 = -1
        switch input {
        case .file(let path):
            stdinSource = open(path, O_RDONLY | O_CLOEXEC)
            guard stdinSource >= 0 else { throw ConnectionError.keyUnreadable(path: path, reason: "cannot be read") }
        case .data(let data) where data.isEmpty:
            stdinSource = open("/dev/null", O_RDONLY | O_CLOEXEC)
        case .data:
            let (reader, writer) = try makePipe()
            (stdinSource, stdinWriter) = (reader, writer)
        }
        let (outReader, outWriter) = try makePipe()
        let (errReader, errWriter) = try makePipe()
        let (program, programArguments) = closingInheritedDescriptors(executable, arguments)
        let pid: pid_t
        do {
            pid = try spawn(program, programArguments, environment: environment ?? ProcessInfo.processInfo.environment,
                            stdin: stdinSource, stdout: outWriter, stderr: errWriter)
        } catch {
            for fd in [stdinSource, stdinWriter, outReader, outWriter, errReader, errWriter] where fd >= 0 { close(fd) }
            throw error
        }
        for fd in [stdinSource, outWriter, errWriter] { close(fd) }

        if stdinWriter >= 0, case .data(let data) = input {
            let writer = stdinWriter
            DispatchQueue.global().async {
                data.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let written = write(writer, raw.baseAddress! + offset, raw.count - offset)
                        if written < 0 { if errno == EINTR { continue }; break }
                        offset += written
                    }
                }
                close(writer)
            }
        }
        let exit = ExitWatcher(pid: pid)
        defer { close(outReader); close(errReader) }
        let collected = OutputCollector()
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        var open: [(Int32, OutputStreamKind)] = [(outReader, .stdout), (errReader, .stderr)]
        var drainUntil: Date?
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            if drainUntil == nil, exit.status != nil { drainUntil = Date().addingTimeInterval(drainAfterExit) }
            if let drainUntil, Date() >= drainUntil { break }
            if let deadline, Date() >= deadline {
                kill(pid, SIGTERM)
                _ = exit.wait()
                throw TimedOut()
            }
            var fds = open.map { pollfd(fd: $0.0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), 50)
            if ready < 0 && errno != EINTR { break }
            guard ready > 0 else { continue }
            var stillOpen: [(Int32, OutputStreamKind)] = []
            for (index, stream) in open.enumerated() {
                guard fds[index].revents != 0 else { stillOpen.append(stream); continue }
                let count = read(stream.0, &buffer, buffer.count)
                if count > 0 {
                    let chunk = Data(buffer[0..<count])
                    collected.append(chunk, to: stream.1)
                    onOutput?(stream.1, chunk)
                    stillOpen.append(stream)
                } else if count < 0 && (errno == EINTR || errno == EAGAIN) {
                    stillOpen.append(stream)
                }
                // 0 (EOF) or a read error: this stream is done.
            }
            open = stillOpen
        }
        let status = exit.wait()
        let (out, err) = collected.result
        return CommandResult(stdout: out, stderr: err, exitStatus: status)
    }

    /// Starts `executable` with `input` on its stdin and the stdin kept open, and returns at
    /// the first line it prints (stdout and stderr together) that starts with `readyPrefix`,
    /// or when it ends. The held process ends when `release()` closes its stdin, or when
    /// this process dies.
    static func hold(_ executable: String, _ arguments: [String], input: Data, readyPrefix: String,
                     timeout: TimeInterval?) throws -> HoldOutcome {
        let (stdinReader, stdinWriter) = try makePipe()
        let (outReader, outWriter) = try makePipe()
        let (program, programArguments) = closingInheritedDescriptors(executable, arguments)
        let pid: pid_t
        do {
            pid = try spawn(program, programArguments, environment: ProcessInfo.processInfo.environment,
                            stdin: stdinReader, stdout: outWriter, stderr: outWriter)
        } catch {
            for fd in [stdinReader, stdinWriter, outReader, outWriter] { close(fd) }
            throw error
        }
        close(stdinReader)
        close(outWriter)
        let exit = ExitWatcher(pid: pid)
        let written = input.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(stdinWriter, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; return false }
                offset += n
            }
            return true
        }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while written {
            if let ready = HoldOutcome.readyLine(in: output, prefix: readyPrefix) {
                return .holding(readyLine: ready.line, before: ready.before,
                                HeldProcess(pid: pid, stdin: stdinWriter, output: outReader, exit: exit))
            }
            if let deadline, Date() >= deadline {
                kill(pid, SIGTERM)
                _ = exit.wait()
                close(stdinWriter); close(outReader)
                throw TimedOut()
            }
            var fds = [pollfd(fd: outReader, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 1, 50)
            if ready < 0 && errno != EINTR { break }
            guard ready > 0 else { continue }
            let count = read(outReader, &buffer, buffer.count)
            if count > 0 { output.append(contentsOf: buffer[0..<count]) } else if count == 0 || (errno != EINTR && errno != EAGAIN) { break }
        }
        close(stdinWriter)
        close(outReader)
        return .ended(CommandResult(stdout: output, stderr: Data(), exitStatus: exit.wait()))
    }

    private static func makePipe() throws -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ModuleError("pipe: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// glibc 2.34+ closes every fd from 3 in the child; not declared in Swift's Glibc module.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: CloseFrom? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    private static func spawn(_ program: String, _ arguments: [String], environment: [String: String],
                              stdin: Int32, stdout: Int32, stderr: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        _ = addCloseFrom?(&actions, 3)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, &actions, nil, argv, envp)
        guard rc == 0 else { throw ModuleError("cannot run \(program): \(String(cString: strerror(rc)))") }
        return pid
    }
}

/// Reaps one child on its own thread; `status` is nil while it runs.
final class ExitWatcher: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var exitStatus: Int32?

    init(pid: pid_t) {
        Thread.detachNewThread { [self] in
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            // Exit code, or 128+signal as a shell reports it.
            let status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            lock.lock(); exitStatus = status; lock.unlock()
            done.signal()
        }
    }

    var status: Int32? { lock.lock(); defer { lock.unlock() }; return exitStatus }

    func wait() -> Int32 {
        done.wait()
        done.signal()
        return status ?? -1
    }
}

/// Thread-safe accumulation of the two output streams.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()

    func append(_ data: Data, to kind: OutputStreamKind) {
        lock.lock()
        defer { lock.unlock() }
        if kind == .stdout { out.append(data) } else { err.append(data) }
    }

    var result: (Data, Data) {
        lock.lock()
        defer { lock.unlock() }
        return (out, err)
    }
}

/// A process `ProcessRunner.hold` keeps running; `release` closes its stdin and reaps it.
final class HeldProcess: HeldCommand, @unchecked Sendable {
    // @unchecked Sendable: the descriptors are closed once, under `lock`.
    private let lock = NSLock()
    private var released = false
    let pid: pid_t
    let stdin: Int32
    let output: Int32
    let exit: ExitWatcher

    init(pid: pid_t, stdin: Int32, output: Int32, exit: ExitWatcher) {
        self.pid = pid
        self.stdin = stdin
        self.output = output
        self.exit = exit
    }

    func release() {
        lock.lock()
        defer { lock.unlock() }
        guard !released else { return }
        released = true
        close(stdin)
        // The output stays open until the process is gone: a last message must not kill it
        // with SIGPIPE before it let go of what it holds.
        let exit = self.exit, output = self.output
        DispatchQueue.global().async {
            _ = exit.wait()
            close(output)
        }
    }

    deinit { release() }
}
