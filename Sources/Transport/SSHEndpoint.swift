import Foundation

/// Everything needed to reach one host over SSH. Inventory / ssh_config parsing fills it in.
public struct SSHEndpoint: Sendable, Equatable {
    /// The inventory name (used in every message).
    public var name: String
    /// Host name or IP address to connect to (ssh_config `HostName`).
    public var address: String
    public var port: Int
    public var user: String
    /// Private key files (ssh_config `IdentityFile`), `~` allowed. Empty: the default files that exist.
    public var identityFiles: [String]
    /// ssh_config `IdentitiesOnly`: with identity files, never offer agent identities.
    public var identitiesOnly: Bool
    /// ssh_config `UserKnownHostsFile`, `~` allowed.
    public var knownHostsFile: String
    /// `--accept-new-host-keys`: record an unknown host key. A changed key is always refused.
    public var acceptNewHostKeys: Bool
    /// Seconds allowed for TCP connect (and, separately, for the SSH handshake).
    public var connectTimeout: TimeInterval
    /// Keepalive interval in seconds; 0 turns keepalives off.
    public var keepAlive: TimeInterval
    /// ssh_config file given with `-F` (passed to the OpenSSH client).
    public var sshConfigFile: String?
    /// ssh_config `ProxyJump` (OpenSSH transport only).
    public var proxyJump: String?

    public init(
        name: String, address: String? = nil, port: Int = 22, user: String,
        identityFiles: [String] = [], identitiesOnly: Bool = false,
        knownHostsFile: String = SSHEndpoint.defaultKnownHostsFile, acceptNewHostKeys: Bool = false,
        connectTimeout: TimeInterval = 10, keepAlive: TimeInterval = 30,
        sshConfigFile: String? = nil, proxyJump: String? = nil
    ) {
        self.name = name
        self.address = address ?? name
        self.port = port
        self.user = user
        self.identityFiles = identityFiles
        self.identitiesOnly = identitiesOnly
        self.knownHostsFile = knownHostsFile
        self.acceptNewHostKeys = acceptNewHostKeys
        self.connectTimeout = connectTimeout
        self.keepAlive = keepAlive
        self.sshConfigFile = sshConfigFile
        self.proxyJump = proxyJump
    }

    public static var defaultKnownHostsFile: String { "~/.ssh/known_hosts" }

    /// The default private keys OpenSSH tries when no IdentityFile is given (those libssh2 can use).
    public static let defaultIdentityFiles = ["~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ed25519"]

    /// The name known_hosts records for this host: `address`, or `[address]:port` off port 22.
    public var knownHostsName: String { KnownHosts.hostKeyName(address, port: port) }

    /// `knownHostsFile` with `~` expanded.
    public var knownHostsPath: String { SSHEndpoint.expandTilde(knownHostsFile) }

    static func expandTilde(_ path: String) -> String {
        if path == "~" { return homeDirectory }
        if path.hasPrefix("~/") { return homeDirectory + String(path.dropFirst(1)) }
        return path
    }

    /// The reverse of `expandTilde`, for messages.
    static func abbreviate(_ path: String) -> String {
        let home = homeDirectory
        if !home.isEmpty, home != "/", path.hasPrefix(home + "/") { return "~" + path.dropFirst(home.count) }
        return path
    }

    static var homeDirectory: String {
        if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty { return home }
        return NSHomeDirectory()
    }
}
