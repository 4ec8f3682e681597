import Foundation

/// Every number read from a file (ssh_config, inventory, playbook), the command line or the
/// environment is checked against the range its use allows, with a message naming where it
/// came from, before any conversion that could trap (`Int32(…)`, `UInt32(…)`, seconds to
/// milliseconds). The conversions themselves clamp too (`milliseconds`, `clampedUInt32`),
/// so a value that escaped a check still cannot crash the tool.
public enum NumberRules {
    public struct Rule: Sendable {
        public var range: ClosedRange<Int>
        public var unit: String

        public init(_ range: ClosedRange<Int>, unit: String = "") {
            self.range = range
            self.unit = unit
        }

        var text: String { "\(range.lowerBound) to \(range.upperBound)" + (unit.isEmpty ? "" : " " + unit) }
    }

    public static let port = Rule(1...65535)
    /// A day: longer than any connect or health-check wait makes sense, well inside Int32 milliseconds.
    public static let seconds = Rule(1...86_400, unit: "seconds")
    public static let nonNegativeSeconds = Rule(0...86_400, unit: "seconds")
    public static let percent = Rule(0...100, unit: "percent")
    public static let forks = Rule(1...4096, unit: "hosts")
    public static let count = Rule(1...1_000_000)
    public static let attempts = Rule(1...1000)

    /// `text` as a number within `rule`; `what` names the setting and `source` where it came
    /// from (a file and line, an option, a variable).
    public static func parse(_ text: String, _ what: String, _ rule: Rule, source: String, at location: SourceLocation? = nil) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let value = Int(trimmed) else {
            if !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "+") }) {
                throw InputError("\(source): \(what) \(trimmed) is out of range (\(rule.text))", at: location)
            }
            throw InputError("\(source): \(what) must be a whole number (\(rule.text)), not '\(text)'", at: location)
        }
        return try check(value, what, rule, source: source, at: location)
    }

    public static func check(_ value: Int, _ what: String, _ rule: Rule, source: String, at location: SourceLocation? = nil) throws -> Int {
        guard rule.range.contains(value) else {
            throw InputError("\(source): \(what) \(value) is out of range (\(rule.text))", at: location)
        }
        return value
    }

    /// Seconds as poll(2) milliseconds, clamped to 0…Int32.max (never traps, NaN is 0).
    public static func milliseconds(_ seconds: TimeInterval) -> Int32 {
        let ms = seconds * 1000
        guard !ms.isNaN, ms > 0 else { return 0 }
        return ms >= Double(Int32.max) ? Int32.max : Int32(ms)
    }

    /// A non-negative count for a C `unsigned int`, clamped.
    public static func clampedUInt32(_ value: Int) -> UInt32 { UInt32(clamping: max(0, value)) }
    public static func clampedUInt32(_ value: TimeInterval) -> UInt32 {
        guard !value.isNaN, value > 0 else { return 0 }
        return value >= Double(UInt32.max) ? UInt32.max : UInt32(value)
    }
}
