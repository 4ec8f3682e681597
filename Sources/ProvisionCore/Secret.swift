/// A value that must never be printed: passwords, salts, keys.
/// Its descriptions are masked; only `reveal()` gives the text, at the point of use.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String
    public init(_ value: String) { self.value = value }
    public func reveal() -> String { value }
    public var description: String { "********" }
    public var debugDescription: String { "Secret(********)" }
}
