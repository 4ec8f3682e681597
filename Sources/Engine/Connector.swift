import Foundation
import Inventory
import Transport

extension SSHEndpoint {
    /// How the engine reaches an inventory host: what inventory and ssh_config resolved,
    /// plus the run's host-key policy.
    public init(_ host: ResolvedHost, options: RunOptions, sshConfigFile: String?) {
        self.init(name: host.name, address: host.address, port: host.port, user: host.user,
                  identityFiles: host.identityFiles, identitiesOnly: host.identitiesOnly,
                  knownHostsFile: host.knownHostsFile, acceptNewHostKeys: options.acceptNewHostKeys,
                  connectTimeout: TimeInterval(host.connectTimeout ?? 10),
                  sshConfigFile: sshConfigFile, proxyJump: host.proxyJump)
    }
}

extension ConnectionPool {
    /// The usual connector: the chosen SSH transport; a switch to OpenSSH is one warning line.
    public static func ssh(options: RunOptions, sshConfigFile: String?, reporter: RunReporter) -> Connector {
        let connect: Connector = { host in
            try Transport.connect(SSHEndpoint(host, options: options, sshConfigFile: sshConfigFile),
                                  preference: options.transport) { line in
                reporter.report(.warning(host: nil, message: line))
            }
        }
        return options.waitForSSH.map { WaitForSSH(seconds: $0).wrap(connect) } ?? connect
    }
}
