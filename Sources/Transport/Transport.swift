import Foundation

/// Which SSH implementation to use (`--transport`).
public enum TransportPreference: String, Sendable, CaseIterable {
    /// libssh2, falling back to OpenSSH where libssh2 cannot authenticate (RSA keys) or cannot route (ProxyJump).
    case auto
    case libssh2
    case openssh
}

public enum Transport {
    /// Connects to `endpoint` with the preferred transport. With `.auto`, a switch to OpenSSH is
    /// reported through `log` in exactly one line saying why. Failures other than an RSA
    /// authentication failure (host key, refused, timeout, …) never fall back.
    public static func connect(
        _ endpoint: SSHEndpoint, preference: TransportPreference = .auto,
        log: (@Sendable (String) -> Void)? = nil
    ) throws -> any Connection {
        switch preference {
        case .openssh:
            return try OpenSSHConnection(endpoint: endpoint)
        case .libssh2:
            if endpoint.proxyJump != nil {
                throw ConnectionError.protocolError(host: endpoint.name, message: "ProxyJump needs the OpenSSH transport (--transport openssh)")
            }
            return try LibSSH2Connection(endpoint: endpoint)
        case .auto:
            if let jump = endpoint.proxyJump {
                log?("\(endpoint.name): using OpenSSH: ProxyJump \(jump) is not supported by libssh2")
                return try OpenSSHConnection(endpoint: endpoint)
            }
            do {
                return try LibSSH2Connection(connecting: endpoint)
            } catch let failure as LibSSH2AuthFailure {
                guard let key = failure.rsaKeysTried.first else { throw failure.error }
                let connection = try OpenSSHConnection(endpoint: endpoint)
                log?(fallbackMessage(host: endpoint.name, key: key))
                return connection
            }
        }
    }

    static func fallbackMessage(host: String, key: String) -> String {
        "\(host): using OpenSSH: libssh2 1.10 cannot sign with RSA SHA-2 (key \(key))"
    }
}
