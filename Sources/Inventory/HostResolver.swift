import Foundation
import ProvisionCore

/// Everything needed to reach one host, after inventory and ssh_config are combined.
public struct ResolvedHost: Sendable, Equatable {
    public var name: String
    public var address: String
    public var port: Int
    public var user: String
    public var identityFiles: [String]
    public var identitiesOnly: Bool
    public var knownHostsFile: String
    public var proxyJump: String?
    public var connectTimeout: Int?
}

/// What ansible-playbook's `-u`, `--private-key` and `-T` give: each counts where the
/// inventory (and, for the user, a play's `remote_user`) names none, over ssh_config.
public struct ConnectionDefaults: Sendable, Equatable {
    public var user: String?
    public var privateKeyFile: String?
    public var connectTimeout: Int?
    public init(user: String? = nil, privateKeyFile: String? = nil, connectTimeout: Int? = nil) {
        self.user = user
        self.privateKeyFile = privateKeyFile
        self.connectTimeout = connectTimeout
    }
}

/// Combines the inventory with ssh_config the way `ssh` would: inventory values win,
/// then the command line's defaults, then the ssh_config block for the host's name, then
/// built-in defaults.
public struct HostResolver: Sendable {
    public var inventory: Inventory
    public var sshConfig: SSHConfig
    public var sshConfigFile: String?
    public var defaults = ConnectionDefaults()

    public init(inventory: Inventory, sshConfig: SSHConfig, sshConfigFile: String?) {
        self.inventory = inventory
        self.sshConfig = sshConfig
        self.sshConfigFile = sshConfigFile
    }

    /// Loads `-F FILE` or `~/.ssh/config` (absent is fine without -F).
    public static func loadSSHConfig(path: String?) throws -> SSHConfig {
        if let path { return try SSHConfig.load(path: path) }
        let user = NSHomeDirectory() + "/.ssh/config"
        return FileManager.default.fileExists(atPath: user) ? try SSHConfig.load(path: user) : SSHConfig()
    }

    /// How `name` is reached. The login user: the inventory's (`ansible_user`), else a play's
    /// `remote_user`, else `-u`, else ssh_config's `User`, else the controller's user
    /// (Ansible's order). Keys: the inventory's, then `--private-key`, then ssh_config's.
    public func resolve(_ name: String, remoteUser: String? = nil) -> ResolvedHost {
        let host = inventory.host(named: name) ?? InventoryHost(name: name)
        let vars = inventory.variables(for: name)
        let fromConfig = sshConfig.resolve(name, address: host.address ?? vars["ansible_host"]?.stringValue)
        func expand(_ path: String) -> String { NSString(string: path).expandingTildeInPath }
        var identities = fromConfig.identityFiles
        if let key = defaults.privateKeyFile { identities.insert(expand(key), at: 0) }
        if let key = host.identityFile ?? vars["ansible_ssh_private_key_file"]?.stringValue { identities.insert(expand(key), at: 0) }
        // Checked where loaded (inventory, ssh config); out of range here (-e, the API) means the default.
        let port = host.port ?? vars["ansible_port"].flatMap { Int($0.text) }.flatMap { NumberRules.port.range.contains($0) ? $0 : nil } ?? fromConfig.port ?? 22
        return ResolvedHost(
            name: name,
            address: host.address ?? vars["ansible_host"]?.stringValue ?? fromConfig.hostName ?? name,
            port: port,
            user: host.user ?? vars["ansible_user"]?.stringValue ?? remoteUser ?? defaults.user ?? fromConfig.user ?? ProcessInfo.processInfo.environment["USER"] ?? "root",
            identityFiles: identities,
            identitiesOnly: fromConfig.identitiesOnly ?? false,
            knownHostsFile: fromConfig.userKnownHostsFile.map(expand) ?? (NSHomeDirectory() + "/.ssh/known_hosts"),
            proxyJump: fromConfig.proxyJump,
            connectTimeout: vars["ansible_timeout"].flatMap { Int($0.text) }.flatMap { $0 > 0 ? $0 : nil } ?? defaults.connectTimeout ?? fromConfig.connectTimeout)
    }
}
