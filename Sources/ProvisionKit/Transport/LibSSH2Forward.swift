import CLibSSH2
import Foundation

/// A local port forwarded through the session: a listener on 127.0.0.1 whose clients each
/// get a direct-tcpip channel to `target:port`. Pumped by the I/O thread between jobs and
/// inside every wait, all non-blocking.
final class Forward {
    let listener: Int32
    let localPort: Int
    let target: String
    let targetPort: Int
    unowned let loop: SessionLoop
    var links: [Link] = []

    final class Link {
        let fd: Int32
        var channel: OpaquePointer?
        var toChannel = Data()
        var toClient = Data()
        var clientClosed = false
        var channelClosed = false
        init(fd: Int32) { self.fd = fd }
    }

    init(loop: SessionLoop, target: String, port: Int) throws {
        self.loop = loop
        self.target = target
        targetPort = port
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConnectionError.protocolError(host: loop.host.name, message: "no socket for a tunnel") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else {
            Glibc.close(fd)
            throw ConnectionError.protocolError(host: loop.host.name, message: "cannot listen for a tunnel")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        listener = fd
        localPort = Int(UInt16(bigEndian: address.sin_port))
    }

    var hasPendingWork: Bool {
        links.contains { !$0.toChannel.isEmpty || !$0.toClient.isEmpty || ($0.channel == nil && (loop.openOwner == nil || loop.openOwner == ObjectIdentifier($0))) }
    }

    func pollDescriptors() -> [pollfd] {
        [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            + links.map { pollfd(fd: $0.fd, events: Int16(POLLIN) | ($0.toClient.isEmpty ? 0 : Int16(POLLOUT)), revents: 0) }
    }

    /// One round of non-blocking work: accept, open channels, move bytes both ways.
    func service() {
        guard let session = loop.session else { return }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { break }
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            _ = setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            links.append(Link(fd: client))
        }
        var buffer = [UInt8](repeating: 0, count: 32 * 1024)
        for link in links {
            if link.channel == nil {
                let me = ObjectIdentifier(link)
                guard loop.openOwner == nil || loop.openOwner == me else { continue }
                loop.openOwner = me
                link.channel = libssh2_channel_direct_tcpip_ex(session, target, Int32(targetPort), "127.0.0.1", Int32(localPort))
                if link.channel == nil {
                    if libssh2_session_last_errno(session) == LIBSSH2_ERROR_EAGAIN { continue }
                    link.clientClosed = true
                    link.channelClosed = true
                }
                loop.openOwner = nil
                if link.channel == nil { continue }
            }
            guard let channel = link.channel else { continue }
            // client -> channel
            if !link.clientClosed && link.toChannel.count < 256 * 1024 {
                let n = buffer.withUnsafeMutableBytes { read(link.fd, $0.baseAddress, $0.count) }
                if n > 0 { link.toChannel.append(contentsOf: buffer[0..<n]) } else if n == 0 { link.clientClosed = true }
            }
            while !link.toChannel.isEmpty {
                let written = link.toChannel.withUnsafeBytes { libssh2_channel_write_ex(channel, 0, $0.bindMemory(to: CChar.self).baseAddress, link.toChannel.count) }
                if written > 0 { link.toChannel.removeFirst(written) } else { if written != Int(LIBSSH2_ERROR_EAGAIN) { link.channelClosed = true }; break }
            }
            // channel -> client
            while link.toClient.count < 256 * 1024 {
                let n = buffer.withUnsafeMutableBytes { libssh2_channel_read_ex(channel, 0, $0.bindMemory(to: CChar.self).baseAddress, $0.count) }
                if n > 0 { link.toClient.append(contentsOf: buffer[0..<n]) } else {
                    if n != Int(LIBSSH2_ERROR_EAGAIN) && n != 0 { link.channelClosed = true }
                    break
                }
            }
            if libssh2_channel_eof(channel) != 0 { link.channelClosed = true }
            while !link.toClient.isEmpty {
                let n = link.toClient.withUnsafeBytes { write(link.fd, $0.baseAddress, link.toClient.count) }
                if n > 0 { link.toClient.removeFirst(n) } else { if errno != EAGAIN && errno != EWOULDBLOCK { link.clientClosed = true; link.toClient = Data() }; break }
            }
        }
        // A link ends when either side is gone and nothing is left to deliver.
        links.removeAll { link in
            let done = (link.clientClosed && link.toChannel.isEmpty) || (link.channelClosed && link.toClient.isEmpty)
            if done { close(link) }
            return done
        }
    }

    private func close(_ link: Link) {
        Glibc.close(link.fd)
        if let channel = link.channel {
            _ = libssh2_channel_close(channel)
            libssh2_channel_free(channel)
        }
    }

    func closeAll() {
        // An open still in flight must be finished (and its channel freed), or the
        // session's next open would continue it.
        if let session = loop.session, let pending = links.first(where: { loop.openOwner == ObjectIdentifier($0) }) {
            let deadline = Date().addingTimeInterval(15)
            while pending.channel == nil, Date() < deadline {
                pending.channel = libssh2_channel_direct_tcpip_ex(session, target, Int32(targetPort), "127.0.0.1", Int32(localPort))
                if pending.channel != nil || libssh2_session_last_errno(session) != LIBSSH2_ERROR_EAGAIN { break }
                var fd = pollfd(fd: loop.socket, events: Int16(POLLIN), revents: 0)
                _ = poll(&fd, 1, 200)
            }
            loop.openOwner = nil
        }
        for link in links { close(link) }
        links = []
        Glibc.close(listener)
    }
}

extension SessionLoop {
    func listen(toHost target: String, port: Int) throws -> Int {
        let forward = try Forward(loop: self, target: target, port: port)
        forwards.append(forward)
        return forward.localPort
    }

    func closeForward(localPort: Int) {
        forwards.removeAll { forward in
            if forward.localPort == localPort { forward.closeAll(); return true }
            return false
        }
    }

    func serviceForwards() {
        for forward in forwards { forward.service() }
    }
}
