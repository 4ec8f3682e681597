import Foundation
import Modules
import ProvisionCore

/// Many read-only probe snippets run as one remote script: one round trip for a whole
/// play's worth of checks. Each snippet runs in its own subshell; its output and exit
/// status come back framed by markers carrying a random nonce, so no file content can
/// forge a frame.
public struct ProbeBatch: Sendable {
    public private(set) var snippets: [(key: Int, script: String)] = []
    let nonce: String

    public init() {
        nonce = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }

    public var isEmpty: Bool { snippets.isEmpty }

    public mutating func add(key: Int, script: String) {
        snippets.append((key, script))
    }

    public var script: String {
        var lines: [String] = []
        for (key, snippet) in snippets {
            lines.append("echo '@@\(nonce) \(key)'")
            lines.append("( \(snippet)\n) 2>&1 </dev/null")
            lines.append("printf '\\n@@\(nonce) end %s\\n' \"$?\"")
        }
        return TaskContext.withSystemPath(lines.joined(separator: "\n") + "\n")
    }

    /// Splits the script's output back into one result per key.
    public func parse(_ output: String) throws -> [Int: ProbeResult] {
        var results: [Int: ProbeResult] = [:]
        var currentKey: Int?
        var buffer: [Substring] = []
        let begin = "@@\(nonce) ", end = "@@\(nonce) end "
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(end), let key = currentKey {
                // The framing printf put a newline before the end marker; splitting into lines
                // and joining them again drops exactly that one, so output comes back byte for byte.
                results[key] = ProbeResult(output: buffer.joined(separator: "\n"), exitStatus: Int32(line.dropFirst(end.count)) ?? -1)
                currentKey = nil
                buffer = []
            } else if line.hasPrefix(begin), let key = Int(line.dropFirst(begin.count)) {
                currentKey = key
                buffer = []
            } else if currentKey != nil {
                buffer.append(line)
            }
        }
        let missing = snippets.map(\.key).filter { results[$0] == nil }
        guard missing.isEmpty else {
            throw ModuleError("probe script ended early (no result for \(missing.count) task(s)); is the host's shell POSIX sh?")
        }
        return results
    }
}
