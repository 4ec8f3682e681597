import Foundation

/// A `Connection` through the OpenSSH client: one ControlMaster per host (authenticated
/// once, in a private socket directory), every command and transfer a cheap client of it.
/// Used where libssh2 cannot do the job (RSA keys with SHA-2 signatures, ProxyJump), or
/// when asked with `--transport openssh`.
public final class OpenSSHConnection: Connection, @unchecked Sendable {
    // Immutable after init except `closed`, guarded by `lock`.
    public let hostName: String
    let host: ResolvedHost
    let controlPath: String
    let baseArguments: [String]
    private let lock = NSLock()
    private var closed = false
    static let ssh = "/usr/bin/ssh"

    /// Starts the master connection; throws a `ConnectionError` naming what failed.
    public init(host: ResolvedHost, sshConfigFile: String?, acceptNewHostKeys: Bool, connectTimeout: Int = 10) throws {
        self.host = host
        self.hostName = host.name
        controlPath = try Self.controlDirectory() + "/\(host.name.prefix(40))-\(UInt32.random(in: 0...UInt32.max))"
        var args: [String] = []
        if let sshConfigFile { args += ["-F", sshConfigFile] }
        args += [
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=\(acceptNewHostKeys ? "accept-new" : "yes")",
            "-o", "UserKnownHostsFile=\(host.knownHostsFile)",
            // Recorded keys stay readable (and line numbers meaningful), as libssh2 writes them.
            "-o", "HashKnownHosts=no",
            "-o", "ConnectTimeout=\(host.connectTimeout ?? connectTimeout)",
            "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
            // curve25519 first: the post-quantum default costs ~100 ms per handshake.
            "-o", "KexAlgorithms=curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256",
            "-o", "ControlPath=\(controlPath)",
            "-p", String(host.port), "-l", host.user,
        ]
        if !host.identityFiles.isEmpty {
            for key in host.identityFiles { args += ["-i", key] }
            if host.identitiesOnly { args += ["-o", "IdentitiesOnly=yes"] }
        }
        if let jump = host.proxyJump { args += ["-J", jump] }
        baseArguments = args
        try startMaster()
    }

    /// One private directory per process for the control sockets (0700, removed at exit).
    static func controlDirectory() throws -> String {
        try ControlDirectory.shared.path()
    }

    private func startMaster() throws {
        let args = baseArguments + ["-o", "ControlMaster=yes", "-o", "ControlPersist=300", "-N", "-f", host.address]
        let result = try ProcessRunner.run(Self.ssh, args, timeout: TimeInterval((host.connectTimeout ?? 10) + 20))
        guard result.succeeded else { throw classify(result.stderrText) }
    }

    /// ssh's own words, turned into the error a user can act on.
    func classify(_ stderr: String) -> ConnectionError {
        let text = stderr
        func firstLine(containing needle: String) -> String? {
            text.split(separator: "\n").first { $0.contains(needle) }.map(String.init)
        }
        if text.contains("Could not resolve hostname") || text.contains("Name or service not known") {
            return .nameResolution(host: host.address)
        }
        if text.contains("Connection refused") { return .refused(host: host.address, port: host.port) }
        if text.contains("timed out") || text.contains("No route to host") || text.contains("Network is unreachable") { return .timeout(host: host.address, port: host.port, seconds: Double(host.connectTimeout ?? 10)) }
        if text.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") || text.contains("Host key for") && text.contains("has changed") {
            let presented = Self.match(text, #"(SHA256:[A-Za-z0-9+/=]+)"#) ?? "unknown"
            let offending = firstLine(containing: "Offending")
            let line = offending.flatMap { Self.match($0, #":(\d+)\s*$"#) }.flatMap { Int($0) } ?? 0
            return .hostKeyChanged(host: host.name, expected: "the key on line \(line)", presented: presented,
                                   knownHostsFile: host.knownHostsFile, line: line,
                                   recordedAs: KnownHosts.hostPattern(host.address, port: host.port))
        }
        if text.contains("Host key verification failed") || text.contains("No ED25519 host key is known")
            || text.contains("host key is known for") {
            let presented = Self.match(text, #"(SHA256:[A-Za-z0-9+/=]+)"#) ?? presentedFingerprint() ?? "(not shown by ssh)"
            return .hostKeyUnknown(host: host.name, fingerprint: presented, knownHostsFile: host.knownHostsFile)
        }
        if text.contains("Permission denied") {
            return .authenticationFailed(user: host.user, host: host.name, tried: host.identityFiles.isEmpty ? ["ssh-agent and default keys"] : host.identityFiles)
        }
        if text.contains("kex_exchange_identification") || text.contains("banner exchange") || text.contains("Bad protocol version") {
            return .protocolError(host: host.name, message: "port \(host.port) does not speak SSH")
        }
        if text.contains("Load key") || text.contains("no such identity") {
            return .keyUnreadable(path: host.identityFiles.first ?? "?", reason: firstLine(containing: "key") ?? text)
        }
        let last = text.split(separator: "\n").last.map(String.init) ?? "ssh failed"
        return .protocolError(host: host.name, message: last)
    }

    /// ssh in batch mode does not print the key it refused: ask the host for it, so the
    /// user can compare it with the console's before accepting it.
    func presentedFingerprint() -> String? {
        guard let scan = try? ProcessRunner.run("/usr/bin/ssh-keyscan", ["-T", "5", "-t", "ed25519,ecdsa,rsa", "-p", String(host.port), host.address], timeout: 10),
              scan.succeeded, !scan.stdout.isEmpty,
              let listed = try? ProcessRunner.run("/usr/bin/ssh-keygen", ["-l", "-f", "-"], input: .data(scan.stdout), timeout: 10)
        else { return nil }
        let lines = listed.stdoutText.split(separator: "\n")
        return (lines.first { $0.hasSuffix("(ED25519)") } ?? lines.first).flatMap { line in
            let parts = line.split(separator: " ")
            return parts.count >= 4 ? "\(parts[1]) (\(parts.last!.trimmingCharacters(in: CharacterSet(charactersIn: "()"))))" : nil
        }
    }

    static func match(_ text: String, _ pattern: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines]),
              let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), m.numberOfRanges > 1,
              let r = Range(m.range(at: 1), in: text) else { return nil }
        return String(text[r])
    }

    private func checkOpen() throws {
        lock.lock()
        defer { lock.unlock() }
        if closed { throw ConnectionError.disconnected(host: hostName, message: "connection closed") }
    }

    public func run(
        _ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
        onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?
    ) throws -> CommandResult {
        try run(command, input: .data(stdin), become: become, timeout: timeout, onOutput: onOutput)
    }

    func run(_ command: String, input: ProcessRunner.Input, become: Bool, timeout: TimeInterval?,
             onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?) throws -> CommandResult {
        try checkOpen()
        let remote = become ? SudoCommand.wrap(command) : command
        let result: CommandResult
        do {
            result = try ProcessRunner.run(Self.ssh, baseArguments + ["-o", "ControlMaster=no", host.address, "--", remote],
                                           input: input, timeout: timeout, onOutput: onOutput)
        } catch is ProcessRunner.TimedOut {
            throw ConnectionError.timeout(host: hostName, port: host.port, seconds: timeout ?? 0)
        }
        // 255 is ssh's own failure, not the command's.
        if result.exitStatus == 255, result.stderrText.contains("ssh:") || result.stderrText.contains("mux_client")
            || result.stderrText.contains("Control socket") || result.stderrText.contains("closed by remote host") {
            throw ConnectionError.disconnected(host: hostName, message: result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
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

    private func put(input: ProcessRunner.Input, to path: String, attributes: FileAttributes, become: Bool) throws {
        let script = RemoteFileScript.atomicWrite(to: path, attributes: attributes, source: "cat")
        let result = try run(script, input: input, become: become, timeout: nil, onOutput: nil)
        guard result.succeeded else {
            throw ModuleError("writing \(path) on \(hostName) failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    public func openTunnel(toHost target: String, port: Int) throws -> any Tunnel {
        try checkOpen()
        let localPort = try LocalPort.free()
        let spec = "127.0.0.1:\(localPort):\(target):\(port)"
        let result = try ProcessRunner.run(Self.ssh, baseArguments + ["-O", "forward", "-L", spec, host.address], timeout: 20)
        guard result.succeeded else {
            throw ConnectionError.protocolError(host: hostName, message: "could not forward to \(target):\(port): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return OpenSSHTunnel(localPort: localPort, cancel: { [baseArguments, address = host.address] in
            _ = try? ProcessRunner.run(Self.ssh, baseArguments + ["-O", "cancel", "-L", spec, address], timeout: 10)
        })
    }

    public func close() {
        lock.lock()
        let wasClosed = closed
        closed = true
        lock.unlock()
        guard !wasClosed else { return }
        _ = try? ProcessRunner.run(Self.ssh, baseArguments + ["-O", "exit", host.address], timeout: 10)
    }

    deinit { close() }
}

final class OpenSSHTunnel: Tunnel, @unchecked Sendable {
    let localPort: Int
    private let cancel: @Sendable () -> Void
    private let lock = NSLock()
    private var open = true

    init(localPort: Int, cancel: @escaping @Sendable () -> Void) {
        self.localPort = localPort
        self.cancel = cancel
    }

    func close() {
        lock.lock()
        let wasOpen = open
        open = false
        lock.unlock()
        if wasOpen { cancel() }
    }
}

/// How `become` runs a command: `sudo -n`, never a prompt.
public enum SudoCommand {
    public static func wrap(_ command: String) -> String {
        "sudo -n -- sh -c \(Shell.quote(command))"
    }

    public static func needsPassword(_ result: CommandResult) -> Bool {
        result.exitStatus == 1 && (result.stderrText.contains("sudo: a password is required")
            || result.stderrText.contains("sudo: a terminal is required"))
    }
}

/// A private directory for this process's control sockets, removed at exit.
final class ControlDirectory: @unchecked Sendable {
    static let shared = ControlDirectory()
    private let lock = NSLock()
    private var made: String?

    func path() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let made { return made }
        var template = Array("/tmp/provision-ssh-XXXXXX".utf8CString)
        guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ConnectionError.protocolError(host: "localhost", message: "cannot create a directory for ssh control sockets")
        }
        let path = String(cString: dir)
        made = path
        atexit { ControlDirectory.removeAtExit() }
        return path
    }

    static func removeAtExit() {
        if let path = shared.made { try? FileManager.default.removeItem(atPath: path) }
    }
}

/// A free TCP port on 127.0.0.1 for a forwarded connection.
enum LocalPort {
    static func free() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConnectionError.protocolError(host: "localhost", message: "no socket for a tunnel") }
        defer { Glibc.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw ConnectionError.protocolError(host: "localhost", message: "no free local port") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
