import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The OpenSSH client (`ssh`) as a transport: one ControlMaster per host, started at connect,
/// and every command, upload and tunnel multiplexed over it. Used where libssh2 cannot
/// authenticate (RSA keys against OpenSSH ≥ 8.8), for ProxyJump, or on request.
public final class OpenSSHConnection: CommandHolding, @unchecked Sendable {
    // @unchecked Sendable: `closed` is guarded by `lock`; everything else is immutable.
    public let hostName: String
    public let endpoint: SSHEndpoint
    /// Private directory (0700) holding the control socket.
    let controlDirectory: String
    private let sshPath: String
    private let lock = NSLock()
    private var closed = false

    public init(endpoint: SSHEndpoint) throws {
        self.hostName = endpoint.name
        self.endpoint = endpoint
        self.sshPath = OpenSSHConnection.findExecutable("ssh") ?? "/usr/bin/ssh"
        _ = LibSSH2Runtime.ignoreSIGPIPE
        for file in endpoint.identityFiles {
            do { _ = try PrivateKeyFile.inspect(SSHEndpoint.expandTilde(file)) } catch PrivateKeyFile.Problem.unreadable(let reason) {
                throw ConnectionError.keyUnreadable(path: file, reason: reason)
            }
        }
        var template = Array("/tmp/provision-ssh-XXXXXX".utf8CString)
        guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ConnectionError.protocolError(host: endpoint.name, message: "cannot create a directory for the ssh control socket")
        }
        self.controlDirectory = String(cString: dir)

        // Start the master: -f returns once authenticated (or failed), leaving it in the background.
        let errorFile = controlDirectory + "/master.err"
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        let errorHandle = FileHandle(forWritingAtPath: errorFile)
        defer { try? errorHandle?.close(); try? FileManager.default.removeItem(atPath: errorFile) }
        let master = Process()
        master.executableURL = URL(fileURLWithPath: sshPath)
        master.arguments = commonArguments() + ["-o", "ControlMaster=yes", "-o", "ControlPersist=60", "-f", "-N", "--", endpoint.address]
        master.standardInput = FileHandle.nullDevice
        master.standardOutput = FileHandle.nullDevice
        master.standardError = errorHandle ?? FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        master.terminationHandler = { _ in exited.signal() }
        do {
            try master.run()
        } catch {
            try? FileManager.default.removeItem(atPath: controlDirectory)
            throw ConnectionError.protocolError(host: endpoint.name, message: "cannot run \(sshPath): \(error.localizedDescription)")
        }
        exited.wait()
        if master.terminationStatus != 0 {
            let text = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: controlDirectory)
            throw OpenSSHConnection.mapError(stderr: text, endpoint: endpoint)
                ?? ConnectionError.protocolError(host: endpoint.name, message: "ssh failed: \(OpenSSHConnection.firstLine(text))")
        }
    }

    deinit { close() }

    /// Options shared by the master and every client using it.
    func commonArguments() -> [String] {
        var args: [String] = []
        if let config = endpoint.sshConfigFile { args += ["-F", SSHEndpoint.expandTilde(config)] }
        args += [
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=" + (endpoint.acceptNewHostKeys ? "accept-new" : "yes"),
            "-o", "UserKnownHostsFile=" + endpoint.knownHostsPath,
            "-o", "ControlPath=\(controlDirectory)/%C",
            "-o", "ConnectTimeout=\(max(Int(endpoint.connectTimeout.rounded(.up)), 1))",
            "-o", "KexAlgorithms=^curve25519-sha256",
            "-o", "LogLevel=ERROR",
            "-p", String(endpoint.port),
            "-l", endpoint.user,
        ]
        if endpoint.keepAlive > 0 { args += ["-o", "ServerAliveInterval=\(Int(endpoint.keepAlive))"] }
        for file in endpoint.identityFiles { args += ["-i", SSHEndpoint.expandTilde(file)] }
        if endpoint.identitiesOnly { args += ["-o", "IdentitiesOnly=yes"] }
        if let jump = endpoint.proxyJump { args += ["-J", jump] }
        return args
    }

    private func clientArguments() -> [String] {
        commonArguments() + ["-o", "ControlMaster=auto", "-o", "ControlPersist=60", "-T"]
    }

    private func checkOpen() throws {
        lock.lock(); defer { lock.unlock() }
        if closed { throw ConnectionError.disconnected(host: hostName, message: "connection closed") }
    }

    // MARK: Connection

    public func run(
        _ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
        onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?
    ) throws -> CommandResult {
        try checkOpen()
        // ssh joins its arguments with spaces for the remote shell: pass one ready-made command line,
        // the fixed bootstrap; the script goes on stdin.
        let remote = ScriptOnStdin.remoteCommand(become: become)
        let result = try ssh(clientArguments() + ["--", endpoint.address, remote],
                             stdin: .data(ScriptOnStdin.stdin(script: command, then: stdin)), timeout: timeout, onOutput: onOutput)
        if become, RemoteCommand.sudoWantsPassword(exitStatus: result.exitStatus, stderr: result.stderr) {
            throw ConnectionError.sudoNeedsPassword(host: hostName)
        }
        return result
    }

    public func put(_ data: Data, to path: String, attributes: FileAttributes, become: Bool) throws {
        try install(.data(data), to: path, attributes: attributes, become: become)
    }

    public func put(file localPath: String, to path: String, attributes: FileAttributes, become: Bool) throws {
        guard let handle = FileHandle(forReadingAtPath: localPath) else {
            throw RemoteFileError(host: hostName, path: path, message: "cannot read local file \(localPath)")
        }
        defer { try? handle.close() }
        try install(.file(handle), to: path, attributes: attributes, become: become)
    }

    private func install(_ input: Input, to path: String, attributes: FileAttributes, become: Bool) throws {
        try checkOpen()
        let script = ScriptOnStdin.stdin(script: RemoteCommand.installFromStdinScript(path: path, attributes: attributes))
        let framed: Input
        switch input {
        case .none: framed = .data(script)
        case .data(let data): framed = .data(script + data)
        case .file(let handle), .prefixed(_, let handle): framed = .prefixed(script, handle)
        }
        let remote = ScriptOnStdin.remoteCommand(become: become)
        let result = try ssh(clientArguments() + ["--", endpoint.address, remote], stdin: framed, timeout: nil, onOutput: nil)
        if result.exitStatus != 0 {
            if become, RemoteCommand.sudoWantsPassword(exitStatus: result.exitStatus, stderr: result.stderr) {
                throw ConnectionError.sudoNeedsPassword(host: hostName)
            }
            if let refused = SafeFileWrite.validationFailure(path: path, attributes: attributes, result: result) { throw refused }
            throw RemoteFileError(host: hostName, path: path, message: OpenSSHConnection.firstLine(result.stderrText))
        }
    }

    /// The command on its own `ssh` (through the control master), its stdin a pipe this
    /// process holds: if the controller dies, ssh sees its stdin end and so does the command.
    public var machineIdentity: String { "ssh://\(endpoint.address):\(endpoint.port)" }

    public func hold(_ script: String, input: Data, become: Bool, readyPrefix: String, timeout: TimeInterval?) throws -> HoldOutcome {
        try checkOpen()
        let remote = ScriptOnStdin.remoteCommand(become: become)
        do {
            return try ProcessRunner.hold(sshPath, clientArguments() + ["--", endpoint.address, remote],
                                          input: ScriptOnStdin.stdin(script: script, then: input), readyPrefix: readyPrefix, timeout: timeout)
                .checkingSudo(host: hostName, become: become)
        } catch is ProcessRunner.TimedOut {
            throw ConnectionError.timeout(host: hostName, port: endpoint.port, seconds: timeout ?? 0)
        }
    }

    public func openTunnel(toHost host: String, port: Int) throws -> any Tunnel {
        try checkOpen()
        let localPort = try OpenSSHConnection.freeLocalPort()
        let spec = "127.0.0.1:\(localPort):\(host):\(port)"
        let result = try ssh(commonArguments() + ["-O", "forward", "-L", spec, "--", endpoint.address], stdin: .none, timeout: 30, onOutput: nil)
        if result.exitStatus != 0 {
            throw ConnectionError.protocolError(host: hostName, message: "cannot forward \(spec): \(OpenSSHConnection.firstLine(result.stderrText))")
        }
        return OpenSSHTunnel(localPort: localPort, connection: self, spec: spec)
    }

    fileprivate func cancelForward(_ spec: String) {
        lock.lock(); let isClosed = closed; lock.unlock()
        if isClosed { return }
        _ = try? ssh(commonArguments() + ["-O", "cancel", "-L", spec, "--", endpoint.address], stdin: .none, timeout: 10, onOutput: nil)
    }

    public func close() {
        lock.lock()
        let first = !closed
        closed = true
        lock.unlock()
        guard first else { return }
        _ = try? ssh(commonArguments() + ["-O", "exit", "--", endpoint.address], stdin: .none, timeout: 10, onOutput: nil)
        try? FileManager.default.removeItem(atPath: controlDirectory)
    }

    // MARK: Running ssh

    enum Input {
        case none
        case data(Data)
        case file(FileHandle)
        /// `Data` first (a framed script), then the file's content.
        case prefixed(Data, FileHandle)
    }

    /// Runs ssh with `arguments`, reading stdout and stderr concurrently (no deadlock on big output).
    /// Exit status 255 with a recognised ssh message becomes a `ConnectionError`.
    func ssh(
        _ arguments: [String], stdin input: Input, timeout: TimeInterval?,
        onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sshPath)
        process.arguments = arguments
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        var inPipe: Pipe?
        switch input {
        case .none: process.standardInput = FileHandle.nullDevice
        case .file(let handle): process.standardInput = handle
        case .prefixed:
            let pipe = Pipe()
            process.standardInput = pipe
            inPipe = pipe
        case .data(let data):
            if data.isEmpty {
                process.standardInput = FileHandle.nullDevice
            } else {
                let pipe = Pipe()
                process.standardInput = pipe
                inPipe = pipe
            }
        }
        // Foundation's waitUntilExit polls its run loop every 50 ms on Linux: wait on the handler instead.
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            throw ConnectionError.protocolError(host: hostName, message: "cannot run \(sshPath): \(error.localizedDescription)")
        }
        try? outPipe.fileHandleForWriting.close()
        try? errPipe.fileHandleForWriting.close()

        let out = PipeCollector(outPipe.fileHandleForReading, kind: .stdout, onOutput: onOutput)
        let err = PipeCollector(errPipe.fileHandleForReading, kind: .stderr, onOutput: onOutput)
        if let inPipe {
            try? inPipe.fileHandleForReading.close()
            let writer = inPipe.fileHandleForWriting
            let feeder = Thread {
                // EPIPE (the command stopped reading) is fine: SIGPIPE is ignored process-wide.
                func write(_ data: Data) -> Bool {
                    data.withUnsafeBytes { raw in
                        var offset = 0
                        while offset < raw.count {
                            let n = Glibc.write(writer.fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
                            if n < 0 { if errno == EINTR { continue }; return false }
                            offset += n
                        }
                        return true
                    }
                }
                switch input {
                case .data(let data): _ = write(data)
                case .prefixed(let prefix, let file):
                    guard write(prefix) else { break }
                    while let chunk = try? file.read(upToCount: 256 * 1024), !chunk.isEmpty, write(chunk) {}
                case .none, .file: break
                }
                try? writer.close()
            }
            feeder.start()
        }
        var timedOut = false
        if let timeout, exited.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            exited.wait()
            // The ControlMaster holds the other ends of our pipes until the remote command ends: stop reading.
            out.abandon()
            err.abandon()
        } else if timeout == nil {
            exited.wait()
        }
        out.wait()
        err.wait()
        if timedOut {
            throw ConnectionError.protocolError(host: hostName, message: "command timed out after \(String(format: "%g", timeout ?? 0)) s")
        }
        let result = CommandResult(stdout: out.data, stderr: err.data, exitStatus: process.terminationStatus)
        if result.exitStatus == 255, let error = OpenSSHConnection.mapError(stderr: result.stderrText, endpoint: endpoint) {
            throw error
        }
        return result
    }

    // MARK: Helpers

    /// Translates what `ssh` prints when it fails into a `ConnectionError`; nil when it is not an ssh failure.
    static func mapError(stderr text: String, endpoint: SSHEndpoint) -> ConnectionError? {
        let host = endpoint.name
        if text.contains("Could not resolve hostname") {
            return .nameResolution(host: endpoint.name == endpoint.address ? host : "\(host) (\(endpoint.address))")
        }
        if text.contains("REVOKED HOST KEY DETECTED") || text.contains("is marked as revoked") {
            let presented = firstMatch(#"SHA256:[A-Za-z0-9+/]+"#, in: text) ?? scanFingerprint(endpoint) ?? "(unknown)"
            let key = (try? KnownHosts(contentsOf: endpoint.knownHostsPath))?.entries.first { $0.marker == KnownHosts.revokedMarker && $0.fingerprint == presented }
            return .hostKeyRevoked(host: host, fingerprint: presented, knownHostsFile: SSHEndpoint.abbreviate(endpoint.knownHostsPath),
                                   line: key?.line ?? 0)
        }
        if text.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
            let presented = firstMatch(#"SHA256:[A-Za-z0-9+/]+"#, in: text) ?? "(unknown)"
            var file = endpoint.knownHostsPath
            var line = 0
            if let offending = firstMatch(#"Offending [A-Z0-9-]+ key in [^\n]+:[0-9]+"#, in: text),
                let colon = offending.lastIndex(of: ":")
            {
                line = Int(offending[offending.index(after: colon)...]) ?? 0
                if let range = offending.range(of: " key in ") { file = String(offending[range.upperBound..<colon]) }
            }
            let expected = (try? KnownHosts(contentsOf: file))?.entries.first { $0.line == line }?.fingerprint ?? "(unknown)"
            return .hostKeyChanged(host: host, expected: expected, presented: presented,
                                   knownHostsFile: SSHEndpoint.abbreviate(file), line: line,
                                   recordedAs: endpoint.knownHostsName)
        }
        if text.contains("Host key verification failed") || text.contains("host key is known for") {
            return .hostKeyUnknown(host: host, fingerprint: scanFingerprint(endpoint) ?? "(not shown by ssh)",
                                   knownHostsFile: SSHEndpoint.abbreviate(endpoint.knownHostsPath))
        }
        if text.contains("Permission denied (") || text.contains("Too many authentication failures") {
            let tried = endpoint.identityFiles.isEmpty
                ? ["ssh's default keys and agent"] : endpoint.identityFiles.map { SSHEndpoint.abbreviate(SSHEndpoint.expandTilde($0)) }
            return .authenticationFailed(user: endpoint.user, host: host, tried: tried)
        }
        if text.contains("Connection refused") { return .refused(host: host, port: endpoint.port) }
        if text.contains("timed out") {
            return .timeout(host: host, port: endpoint.port, seconds: endpoint.connectTimeout)
        }
        if text.contains("No route to host") || text.contains("Network is unreachable") {
            return .protocolError(host: host, message: "cannot connect to \(endpoint.address) port \(endpoint.port): \(firstLine(text))")
        }
        if text.contains("kex_exchange_identification") || text.contains("banner exchange") {
            return .protocolError(host: host, message: "port \(endpoint.port) does not answer like an SSH server (\(firstLine(text)))")
        }
        if text.contains("Connection closed by") || text.contains("Connection reset by") || text.contains("Broken pipe")
            || text.contains("Control socket connect") || text.contains("client_loop:")
        {
            return .disconnected(host: host, message: firstLine(text))
        }
        return nil
    }

    /// The SHA256 fingerprint of the host's key (preferring ed25519), via ssh-keyscan; nil if unavailable.
    static func scanFingerprint(_ endpoint: SSHEndpoint) -> String? {
        guard let keyscan = findExecutable("ssh-keyscan") else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: keyscan)
        process.arguments = ["-T", "3", "-p", String(endpoint.port), "-t", "ed25519,ecdsa,rsa", endpoint.address]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let entries = KnownHosts(parsing: String(decoding: data, as: UTF8.self)).entries
        let preferred = entries.first { $0.keyType == "ssh-ed25519" } ?? entries.first
        return preferred?.fingerprint
    }

    static func firstLine(_ text: String) -> String {
        let line = text.split(whereSeparator: { $0.isNewline }).first.map(String.init) ?? ""
        return line.isEmpty ? "failed" : line
    }

    private static func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let range = Range(match.range, in: text)
        else { return nil }
        return String(text[range])
    }

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") + ["/usr/bin", "/bin"] {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func freeLocalPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConnectionError.protocolError(host: "localhost", message: "cannot create a socket") }
        defer { Glibc.close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw ConnectionError.protocolError(host: "localhost", message: "cannot find a free local port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Reads one pipe to its end on a thread of its own (or until abandoned).
private final class PipeCollector: @unchecked Sendable {
    // @unchecked Sendable: `collected` is written by the reader thread only, and read after `done`;
    // `abandoned` is guarded by `lock`.
    private var collected = Data()
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var abandoned = false

    init(_ handle: FileHandle, kind: OutputStreamKind, onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?) {
        let thread = Thread { [self] in
            let fd = handle.fileDescriptor
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, 100) == 0 {
                    self.lock.lock(); let stop = self.abandoned; self.lock.unlock()
                    if stop { break }
                    continue
                }
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
                if n < 0 { if errno == EINTR || errno == EAGAIN { continue }; break }
                if n == 0 { break }
                let chunk = Data(buffer[0..<n])
                self.collected.append(chunk)
                onOutput?(kind, chunk)
            }
            try? handle.close()
            self.done.signal()
        }
        thread.start()
    }

    func abandon() { lock.lock(); abandoned = true; lock.unlock() }
    func wait() { done.wait() }
    var data: Data { collected }
}

final class OpenSSHTunnel: Tunnel, @unchecked Sendable {
    // @unchecked Sendable: `closed` is guarded by `lock`; the rest is immutable.
    let localPort: Int
    private weak var connection: OpenSSHConnection?
    private let spec: String
    private let lock = NSLock()
    private var closed = false

    init(localPort: Int, connection: OpenSSHConnection, spec: String) {
        self.localPort = localPort
        self.connection = connection
        self.spec = spec
    }

    func close() {
        lock.lock()
        let first = !closed
        closed = true
        lock.unlock()
        if first { connection?.cancelForward(spec) }
    }

    deinit { close() }
}
