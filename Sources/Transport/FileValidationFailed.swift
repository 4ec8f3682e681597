import Foundation

/// A file's `validation` command refused the new file: the destination was not changed.
public struct FileValidationFailed: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var command: String
    public var exitStatus: Int32
    public var stdout: String
    public var stderr: String

    public init(path: String, command: String, exitStatus: Int32, stdout: String, stderr: String) {
        self.path = path
        self.command = command
        self.exitStatus = exitStatus
        self.stdout = stdout
        self.stderr = stderr
    }

    public var description: String {
        let output = (stdout + "\n" + stderr).trimmingCharacters(in: .whitespacesAndNewlines)
        let detail = output.split(separator: "\n").suffix(5).joined(separator: " | ")
        return "validation of \(path) failed (\(command), exit \(exitStatus)); the file was not changed"
            + (detail.isEmpty ? "" : ": \(detail)")
    }
}
