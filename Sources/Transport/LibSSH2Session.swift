import CLibSSH2
import Foundation
import ProvisionCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Connecting: the TCP socket, the SSH handshake and the host key check.
extension LibSSH2Loop {
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
            knownHosts = try KnownHostsCache.shared.knownHosts(at: knownHostsPath)
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

    func openSocket() throws {
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

    func verifyHostKey(knownHosts: KnownHosts, name: String, file: String) throws {
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
}
