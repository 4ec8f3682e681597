/// Where a node came from, so every error can name file and line.
public struct SourceLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int = 1) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line)" }
}

/// An error in user input (playbook, inventory, variables, template) tied to a location.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation?
    public var message: String
    /// What to do about it, e.g. "did you mean 'state'?"
    public var hint: String?
    /// Set when the problem is a variable nothing defines (the preflight acts on it).
    public var undefinedVariable: String?

    public init(_ message: String, at location: SourceLocation? = nil, hint: String? = nil, undefinedVariable: String? = nil) {
        self.message = message
        self.location = location
        self.hint = hint
        self.undefinedVariable = undefinedVariable
    }

    public var description: String {
        var text = location.map { "\($0): " } ?? ""
        text += message
        if let hint { text += " (\(hint))" }
        return text
    }
}
