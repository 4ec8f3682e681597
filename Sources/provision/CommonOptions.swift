import ArgumentParser
import Engine
import Foundation
import Inventory
import ProvisionCore
import Transport

/// Options every host-facing command shares.
struct ConnectionOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Inventory file, or ec2://REGION?FILTERS for running EC2 instances (default: ./inventory.yml when present).")
    var inventory: String?

    @Option(name: .customShort("F"), help: "ssh_config file (default: ~/.ssh/config).")
    var sshConfig: String?

    @Option(name: [.short, .long], help: "Hosts contacted at once (default: all).")
    var forks: Int?

    @Option(name: [.short, .long], help: ArgumentHelp("Login user where the inventory and the play name none (over ssh_config's User).", valueName: "USER"))
    var user: String?

    @Option(name: [.customLong("private-key"), .customLong("key-file")], help: ArgumentHelp("SSH private key tried first where the inventory names none.", valueName: "FILE"))
    var privateKey: String?

    @Option(name: [.customShort("T"), .long], help: ArgumentHelp("SSH connection timeout where the inventory (ansible_timeout) sets none.", valueName: "SECONDS"))
    var timeout: Int?

    @Flag(name: .long, help: "Record host keys not yet in known_hosts (a changed key is always refused).")
    var acceptNewHostKeys = false

    @Option(name: .long, help: ArgumentHelp("Keep retrying hosts that refuse or time out (sshd not up yet) for up to SECONDS.", valueName: "SECONDS"))
    var waitForSsh: Int?

    @Option(name: .long, help: "SSH transport: auto (libssh2, OpenSSH where libssh2 cannot), libssh2, openssh.")
    var transport: TransportPreference = .auto

    @Flag(name: .long, help: "One JSON object per line, then a recap object.")
    var json = false

    @Flag(name: .short, help: "More detail (repeat for more).")
    var verbose: Int

    func validate() throws {
        if let forks, forks < 1 { throw ValidationError("--forks must be at least 1") }
        if let waitForSsh, waitForSsh < 1 { throw ValidationError("--wait-for-ssh must be at least 1 second") }
        if let forks { _ = try NumberRules.check(forks, "count", NumberRules.forks, source: "--forks") }
        if let waitForSsh { _ = try NumberRules.check(waitForSsh, "seconds", NumberRules.seconds, source: "--wait-for-ssh") }
        if let timeout { _ = try NumberRules.check(timeout, "seconds", NumberRules.seconds, source: "--timeout") }
        if let user { try NameRules.check(user, as: .user, module: "--user", parameter: "user", at: nil) }
    }

    func runOptions() -> RunOptions {
        var options = RunOptions()
        options.forks = forks
        options.connectionDefaults = ConnectionDefaults(user: user, privateKeyFile: privateKey, connectTimeout: timeout)
        options.acceptNewHostKeys = acceptNewHostKeys
        options.waitForSSH = waitForSsh.map(TimeInterval.init)
        options.transport = transport
        options.verbose = verbose
        return options
    }

    func reporter() -> RunReporter { makeReporter(json: json, verbose: verbose) }

    func connector(options: RunOptions, reporter: RunReporter) -> ConnectionPool.Connector {
        ConnectionPool.ssh(options: options, sshConfigFile: sshConfig, reporter: reporter)
    }
}

/// How a run waits for a host another run holds (`HostLock`): push and pull alike.
struct LockOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Wait up to SECONDS for a host another provision run holds (0: fail at once; default \(Int(HostLock.defaultWait))).",
                                            valueName: "SECONDS"))
    var lockWait: Int?

    func validate() throws {
        if let lockWait { _ = try NumberRules.check(lockWait, "seconds", NumberRules.nonNegativeSeconds, source: "--lock-wait") }
    }

    func apply(to options: inout RunOptions, mode: String) {
        if let lockWait { options.lockWait = TimeInterval(lockWait) }
        options.lockHolder = HostLock.holder(mode: mode)
    }
}

extension TransportPreference: ExpressibleByArgument {}

/// How a run prints: one JSON object per line, or lines for people (push and pull alike).
func makeReporter(json: Bool, verbose: Int) -> RunReporter {
    if json { return JSONReporter() }
    return verbose == 0 && LiveReporter.wanted ? LiveReporter() : HumanReporter(verbose: verbose)
}

/// Ansible Vault passwords: files and values vaulted with `ansible-vault` are read with them
/// (`AnsibleVault`), and what they hold is secret.
struct VaultOptions: ParsableArguments {
    @Option(name: [.customLong("vault-password-file"), .customLong("vault-pass-file")],
            help: ArgumentHelp("A file holding a vault password (an executable one prints it); repeat for several (default: $ANSIBLE_VAULT_PASSWORD_FILE).", valueName: "FILE"))
    var vaultPasswordFiles: [String] = []

    @Flag(name: [.customShort("J"), .customLong("ask-vault-pass"), .customLong("ask-vault-password")],
          help: "Not supported: give --vault-password-file (a run asks nothing on a terminal).")
    var askVaultPass = false

    /// Reads the passwords and hands them to `AnsibleVault`, before any YAML is read.
    func install(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if askVaultPass {
            throw InputError("--ask-vault-pass is not supported: provision never prompts",
                             hint: "put the password in a file only you can read and give --vault-password-file FILE")
        }
        let files = vaultPasswordFiles.isEmpty ? [environment["ANSIBLE_VAULT_PASSWORD_FILE"]].compactMap { $0 }.filter { !$0.isEmpty } : vaultPasswordFiles
        let passwords = try files.map { try VaultPasswordFile.read($0) }
        for password in passwords { outputRedactor.register(password) }
        AnsibleVault.passwords = passwords
    }
}
