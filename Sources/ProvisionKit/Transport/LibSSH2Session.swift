import CLibSSH2
import Foundation

/// Connecting, host key checking, authentication and commands: the jobs the I/O thread
/// runs (see `SessionLoop`). Everything here runs on that thread only.
extension SessionLoop {
    // MARK: connect

    func connect(acceptNewHostKeys: Bool, timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        socket = try Self.openSocket(host.address, port: host.port, timeout: timeout, name: host.name)
        guard let session = libssh2_session_init_ex(nil, nil, nil, nil) else {
            throw ConnectionError.protocolError(host: host.name, message: "libssh2 could not start a session")
        }
        self.session = session
        libssh2_session_set_blocking(session, 0)
        let knownHosts = KnownHosts(path: host.knownHostsFile)
        // libssh2 prefers ECDSA; ask for the key types known_hosts holds for this host.
        let recorded = knownHosts.entries(for: host.address, port: host.port).map(\.keyType)
        let preferred = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"]
        let order = recorded.isEmpty ? preferred : preferred.filter(recorded.contains) + preferred.filter { !recorded.contains($0) }
        _ = libssh2_session_method_pref(session, LIBSSH2_METHOD_HOSTKEY, order.joined(separator: ","))
        _ = libssh2_session_method_pref(session, LIBSSH2_METHOD_KEX, "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256")
        let handshake = try retry("handshake", deadline: deadline) { libssh2_session_handshake(session, socket) }
        guard handshake == 0 else {
            let text = lastError()
            if handshake == LIBSSH2_ERROR_BANNER_RECV || handshake == LIBSSH2_ERROR_SOCKET_DISCONNECT || text.contains("banner") {
                throw ConnectionError.protocolError(host: host.name, message: "port \(host.port) does not speak SSH (\(text))")
            }
            throw ConnectionError.protocolError(host: host.name, message: "handshake failed: \(text)")
        }
        try checkHostKey(knownHosts, accept: acceptNewHostKeys)
        libssh2_keepalive_config(session, 1, 15)
        try authenticate(deadline: deadline)
    }

    static func openSocket(_ address: String, port: Int, timeout: TimeInterval, name: String) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(address, String(port), &hints, &list) == 0, let first = list else {
            throw ConnectionError.nameResolution(host: address)
        }
        defer { freeaddrinfo(list) }
        var lastError = ConnectionError.refused(host: address, port: port)
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = Glibc.socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd < 0 { continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            guard errno == EINPROGRESS else {
                lastError = errno == ECONNREFUSED ? .refused(host: address, port: port) : .protocolError(host: name, message: String(cString: strerror(errno)))
                Glibc.close(fd)
                continue
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&pfd, 1, Int32(timeout * 1000)) <= 0 {
                Glibc.close(fd)
                lastError = .timeout(host: address, port: port, seconds: timeout)
                continue
            }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            if soError == 0 { return fd }
            lastError = soError == ECONNREFUSED ? .refused(host: address, port: port)
                : (soError == ETIMEDOUT || soError == EHOSTUNREACH || soError == ENETUNREACH)
                ? .timeout(host: address, port: port, seconds: timeout)
                : .protocolError(host: name, message: String(cString: strerror(soError)))
            Glibc.close(fd)
        }
        throw lastError
    }

    func checkHostKey(_ knownHosts: KnownHosts, accept: Bool) throws {
        guard let session else { return }
        var length = 0
        var type: Int32 = 0
        guard let raw = libssh2_session_hostkey(session, &length, &type) else {
            throw ConnectionError.protocolError(host: host.name, message: "the server sent no host key")
        }
        let key = Data(bytes: raw, count: length)
        let typeName: String
        switch type {
        case LIBSSH2_HOSTKEY_TYPE_ED25519: typeName = "ssh-ed25519"
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: typeName = "ecdsa-sha2-nistp256"
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: typeName = "ecdsa-sha2-nistp384"
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: typeName = "ecdsa-sha2-nistp521"
        case LIBSSH2_HOSTKEY_TYPE_RSA: typeName = "ssh-rsa"
        default: typeName = "ssh-dss"
        }
        let presented = KnownHosts.fingerprint(key)
        switch knownHosts.check(host: host.address, port: host.port, keyType: typeName, key: key) {
        case .match:
            return
        case .changed(let expected):
            throw ConnectionError.hostKeyChanged(host: host.name, expected: KnownHosts.fingerprint(base64: expected.keyBase64),
                                                 presented: presented, knownHostsFile: knownHosts.path, line: expected.line,
                                                 recordedAs: KnownHosts.hostPattern(host.address, port: host.port))
        case .unknown:
            guard accept else {
                throw ConnectionError.hostKeyUnknown(host: host.name, fingerprint: "\(presented) (\(typeName))", knownHostsFile: knownHosts.path)
            }
            try knownHosts.append(host: host.address, port: host.port, keyType: typeName, key: key)
        }
    }

    // MARK: authentication

    /// Tries each identity file, then the agent. RSA keys are signed with SHA-1 by libssh2
    /// 1.10, which OpenSSH 8.8+ refuses: that failure is reported as `rsaNeedsSHA2` so the
    /// caller can fall back to the OpenSSH client.
    func authenticate(deadline: Date) throws {
        guard let session else { return }
        var tried: [String] = []
        var rsaRefused: String?
        let user = host.user
        for key in host.identityFiles {
            guard FileManager.default.fileExists(atPath: key) else {
                if host.identityFiles.count == 1 { throw ConnectionError.keyUnreadable(path: key, reason: "no such file") }
                continue
            }
            guard FileManager.default.isReadableFile(atPath: key) else {
                throw ConnectionError.keyUnreadable(path: key, reason: "not readable by this user")
            }
            let kind = PrivateKeyKind(path: key)
            if kind.encrypted && ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"] == nil {
                throw ConnectionError.keyUnreadable(path: key, reason: "is protected by a passphrase; add it to ssh-agent (ssh-add \(key))")
            }
            tried.append(key)
            let rc = try retry("publickey", deadline: deadline) {
                libssh2_userauth_publickey_fromfile_ex(session, user, UInt32(user.utf8.count), nil, key, nil)
            }
            if rc == 0 { return }
            if kind.isRSA { rsaRefused = key }
        }
        if !host.identitiesOnly || host.identityFiles.isEmpty, ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"] != nil {
            if try authenticateWithAgent(deadline: deadline, tried: &tried) { return }
        }
        if host.identityFiles.isEmpty && tried.isEmpty {
            for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
                let key = NSHomeDirectory() + "/.ssh/" + name
                guard FileManager.default.isReadableFile(atPath: key) else { continue }
                tried.append(key)
                let rc = try retry("publickey", deadline: deadline) {
                    libssh2_userauth_publickey_fromfile_ex(session, user, UInt32(user.utf8.count), nil, key, nil)
                }
                if rc == 0 { return }
                if PrivateKeyKind(path: key).isRSA { rsaRefused = key }
            }
        }
        if let rsaRefused { throw LibSSH2Limitation.rsaNeedsSHA2(key: rsaRefused) }
        throw ConnectionError.authenticationFailed(user: user, host: host.name, tried: tried)
    }

    func authenticateWithAgent(deadline: Date, tried: inout [String]) throws -> Bool {
        guard let session, let agent = libssh2_agent_init(session) else { return false }
        defer { _ = libssh2_agent_disconnect(agent); libssh2_agent_free(agent) }
        guard try retry("agent", deadline: deadline, { libssh2_agent_connect(agent) }) == 0,
              try retry("agent list", deadline: deadline, { libssh2_agent_list_identities(agent) }) == 0 else { return false }
        var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
        while true {
            var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
            let rc = libssh2_agent_get_identity(agent, &identity, previous)
            guard rc == 0, let identity else { return false }
            previous = identity
            let comment = identity.pointee.comment.map { String(cString: $0) } ?? "agent key"
            tried.append("agent: \(comment)")
            if try retry("agent auth", deadline: deadline, { libssh2_agent_userauth(agent, host.user, identity) }) == 0 { return true }
        }
    }

    // MARK: commands

    /// Runs one command on a new channel: stdin written while stdout and stderr are read
    /// in the same loop (they share the window: reading one only would deadlock).
    func exec(_ command: String, input: ProcessRunner.Input, timeout: TimeInterval?,
              onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?) throws -> CommandResult {
        guard let session else { throw ConnectionError.disconnected(host: host.name, message: "not connected") }
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        // Let a tunnel's pending open finish first (the waits keep servicing it).
        let token = OpenToken()
        while openOwner != nil {
            if let deadline, Date() > deadline { throw ConnectionError.timeout(host: host.name, port: host.port, seconds: timeout ?? 0) }
            waitSocket(timeout: 0.2)
        }
        openOwner = ObjectIdentifier(token)
        let opened = Result {
            try retryPointer("opening a channel", deadline: deadline) {
                libssh2_channel_open_ex(session, "session", 7, 2 * 1024 * 1024, 32768, nil, 0)
            }
        }
        openOwner = nil
        let channel = try opened.get()
        defer { libssh2_channel_free(channel) }
        let started = try retry("exec", deadline: deadline) {
            libssh2_channel_process_startup(channel, "exec", 4, command, UInt32(command.utf8.count))
        }
        guard started == 0 else { throw ConnectionError.disconnected(host: host.name, message: "exec failed: \(lastError())") }

        var source = try InputSource(input)
        defer { source.close() }
        var out = Data(), err = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var eofSent = false
        while true {
            var progressed = false
            if !eofSent {
                if let chunk = source.peek() {
                    let written = chunk.withUnsafeBytes { raw in
                        libssh2_channel_write_ex(channel, 0, raw.bindMemory(to: CChar.self).baseAddress, chunk.count)
                    }
                    if written > 0 { source.consume(written); progressed = true }
                    else if written < 0 && written != Int(LIBSSH2_ERROR_EAGAIN) {
                        // The command stopped reading its input; its output still matters.
                        eofSent = true
                    }
                } else {
                    let rc = libssh2_channel_send_eof(channel)
                    if rc != LIBSSH2_ERROR_EAGAIN { eofSent = true; progressed = true }
                }
            }
            for (stream, kind) in [(Int32(0), OutputStreamKind.stdout), (Int32(SSH_EXTENDED_DATA_STDERR), .stderr)] {
                while true {
                    let n = buffer.withUnsafeMutableBytes { raw in
                        libssh2_channel_read_ex(channel, stream, raw.bindMemory(to: CChar.self).baseAddress, raw.count)
                    }
                    if n > 0 {
                        let data = Data(buffer[0..<n])
                        if kind == .stdout { out.append(data) } else { err.append(data) }
                        onOutput?(kind, data)
                        progressed = true
                    } else if n == Int(LIBSSH2_ERROR_EAGAIN) || n == 0 {
                        break
                    } else {
                        throw ConnectionError.disconnected(host: host.name, message: lastError())
                    }
                }
            }
            if libssh2_channel_eof(channel) != 0 { break }
            if !progressed {
                if let deadline, Date() > deadline {
                    throw ConnectionError.timeout(host: host.name, port: host.port, seconds: timeout ?? 0)
                }
                waitSocket(timeout: 1)
                if let session = self.session, libssh2_session_last_errno(session) == LIBSSH2_ERROR_SOCKET_DISCONNECT {
                    throw ConnectionError.disconnected(host: host.name, message: "the server closed the connection")
                }
            }
        }
        _ = try retry("close", deadline: deadline) { libssh2_channel_close(channel) }
        _ = try retry("wait closed", deadline: deadline) { libssh2_channel_wait_closed(channel) }
        let status = libssh2_channel_get_exit_status(channel)
        return CommandResult(stdout: out, stderr: err, exitStatus: status)
    }
}

/// Identifies an exec's channel open while it holds the session's open state.
final class OpenToken {}

/// Thrown when libssh2 itself cannot authenticate with a key the server would accept
/// from OpenSSH; `Transport.connect` then falls back to the OpenSSH client.
enum LibSSH2Limitation: Error {
    case rsaNeedsSHA2(key: String)
}

/// What kind of private key a file holds, without decrypting it.
struct PrivateKeyKind {
    var isRSA = false
    var encrypted = false

    init(path: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        if text.contains("BEGIN RSA PRIVATE KEY") {
            isRSA = true
            encrypted = text.contains("ENCRYPTED")
            return
        }
        if text.contains("BEGIN ENCRYPTED PRIVATE KEY") { encrypted = true }
        guard text.contains("BEGIN OPENSSH PRIVATE KEY") else { return }
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let blob = Data(base64Encoded: body) else { return }
        // openssh-key-v1: magic, cipher name, kdf, …, then the public key naming its type.
        let head = blob.prefix(200)
        encrypted = !head.contains(Data("none".utf8))
        isRSA = head.range(of: Data("ssh-rsa".utf8)) != nil
    }
}

/// Bytes to feed a command's stdin, from memory or streamed from a file.
struct InputSource {
    private var data: Data
    private var offset = 0
    private var file: FileHandle?
    private var exhausted = false

    init(_ input: ProcessRunner.Input) throws {
        switch input {
        case .data(let d):
            data = d
            exhausted = true
        case .file(let path):
            data = Data()
            guard let handle = FileHandle(forReadingAtPath: path) else { throw ModuleError("cannot read \(path) on the controller") }
            file = handle
        }
    }

    /// The next piece to send, or nil at the end.
    mutating func peek() -> Data? {
        if offset < data.count { return data[data.startIndex + offset ..< data.startIndex + min(data.count, offset + 1 << 20)] }
        guard !exhausted, let file else { return nil }
        let chunk = (try? file.read(upToCount: 1 << 20)) ?? nil
        guard let chunk, !chunk.isEmpty else { exhausted = true; return nil }
        data = chunk
        offset = 0
        return data
    }

    mutating func consume(_ count: Int) { offset += count }

    mutating func close() { try? file?.close(); file = nil }
}
