/// An AWS call that failed: one line naming the service, the action and AWS's answer.
public struct CloudError: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// AWS's error code (`InvalidParameterValue`, `Throttling`, …) when it sent one.
    public var code: String?
    public init(_ description: String, code: String? = nil) {
        self.description = description
        self.code = code
    }
}
