// Stand-ins for pieces being written on other branches; removed when they merge.
import Foundation

public enum Transport {
    public static func connect(_ host: ResolvedHost, options: RunOptions, sshConfigFile: String?, log: @escaping @Sendable (String) -> Void) throws -> any Connection {
        throw ConnectionError.protocolError(host: host.name, message: "no SSH transport in this build")
    }
}
