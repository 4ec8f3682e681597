/// A failure inside a module (or below one: a digest, a local file, a connection helper):
/// one clear line for the user, and what `register:` keeps of it.
public struct ModuleError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var registered: [String: Value]
    public init(_ message: String, registered: [String: Value] = [:]) {
        self.message = message
        self.registered = registered
    }
    public var description: String { message }
}
