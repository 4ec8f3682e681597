import Foundation

/// Chooses how to reach a host. Until the libssh2 transport lands, every host goes
/// through OpenSSH.
public enum Transport {
    public static func connect(_ host: ResolvedHost, options: RunOptions, sshConfigFile: String?,
                               log: @escaping @Sendable (String) -> Void) throws -> any Connection {
        try OpenSSHConnection(host: host, sshConfigFile: sshConfigFile, acceptNewHostKeys: options.acceptNewHostKeys)
    }
}
