import Foundation

/// Chooses how to reach a host: libssh2 by default; the OpenSSH client when asked, for
/// ProxyJump, or when libssh2 cannot authenticate with a key OpenSSH can (RSA keys need
/// SHA-2 signatures that libssh2 1.10 does not make), with one line saying why.
public enum Transport {
    public static func connect(_ host: ResolvedHost, options: RunOptions, sshConfigFile: String?,
                               log: @escaping @Sendable (String) -> Void) throws -> any Connection {
        func openSSH() throws -> any Connection {
            try OpenSSHConnection(host: host, sshConfigFile: sshConfigFile, acceptNewHostKeys: options.acceptNewHostKeys)
        }
        switch options.transport {
        case .openssh:
            return try openSSH()
        case .libssh2:
            do {
                return try LibSSH2Connection(host: host, acceptNewHostKeys: options.acceptNewHostKeys)
            } catch LibSSH2Limitation.rsaNeedsSHA2(let key) {
                throw ConnectionError.authenticationFailed(user: host.user, host: host.name,
                                                           tried: [key + " (RSA: libssh2 1.10 signs with SHA-1 only; use --transport openssh)"])
            }
        case .auto:
            if host.proxyJump != nil {
                log("using OpenSSH: ProxyJump \(host.proxyJump!) is handled by the ssh client")
                return try openSSH()
            }
            do {
                return try LibSSH2Connection(host: host, acceptNewHostKeys: options.acceptNewHostKeys)
            } catch LibSSH2Limitation.rsaNeedsSHA2(let key) {
                log("using OpenSSH: libssh2 1.10 cannot sign with RSA SHA-2 (key \(key))")
                return try openSSH()
            }
        }
    }
}
