import CLibSSH2
import Foundation
import ProvisionCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

// MARK: - Tunnels on the I/O thread

extension LibSSH2Loop {
    // MARK: Tunnels

    final class TunnelListener {
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

    final class TunnelClient {
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
    var activeTunnelChannels: Bool {
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
    func serviceTunnels() -> Bool {
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

    func acceptClients(_ listener: TunnelListener) -> Bool {
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

    func transient(_ rc: Int) -> Bool { rc == Int(LIBSSH2_ERROR_EAGAIN) || rc == Int(LIBSSH2_ERROR_BAD_USE) }

    func pump(_ client: TunnelClient, _ listener: TunnelListener) -> Bool {
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

    func finishClient(_ client: TunnelClient) -> Bool {
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
