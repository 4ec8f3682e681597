import Foundation

/// A file transfer that reached the host but could not be completed there (directory missing,
/// permission denied, …). Unlike `ConnectionError`, the host is reachable: this fails a task, not a host.
public struct RemoteFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var path: String
    public var message: String

    public init(host: String, path: String, message: String) {
        self.host = host
        self.path = path
        self.message = message
    }

    public var description: String { "\(host): cannot write \(path): \(message)" }
}
