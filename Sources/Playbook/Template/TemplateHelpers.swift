import Foundation
import ProvisionCore

/// Conversions and text helpers the operators and filters share.
extension Evaluator {
    // MARK: Helpers

    /// Jinja's `e`: text safe inside HTML (`TextEscaping.html`).
    static func htmlEscape(_ text: String) -> String { TextEscaping.html(text) }

    /// `'x' * n` may build at most this much text (a typo must not exhaust memory).
    static let maxRepeatedLength = 1 << 24

    /// `d` as an Int when it is a whole number inside Int's range (no trap on overflow).
    static func exactInt(_ d: Double) -> Int? {
        guard d.isFinite, d >= -9.223372036854775808e18, d < 9.223372036854775808e18 else { return nil }
        return Int(exactly: d)
    }

    /// A PHP single-quoted string literal, quotes included (`TextEscaping.phpString`).
    static func phpString(_ s: String) -> String { TextEscaping.phpString(s) }

    static func basename(_ p: String) -> String {
        guard let i = p.lastIndex(of: "/") else { return p }
        return String(p[p.index(after: i)...])
    }

    static func dirname(_ p: String) -> String {
        guard let i = p.lastIndex(of: "/") else { return "" }
        let head = String(p[...i])
        if head.allSatisfy({ $0 == "/" }) { return head }
        return String(head.reversed().drop(while: { $0 == "/" }).reversed())
    }

    /// A Python pattern (`(?P<name>…)`, `\Z`) as ICU reads it (`PythonRegex`).
    static func regex(_ pattern: String) throws -> NSRegularExpression {
        do {
            return try NSRegularExpression(pattern: PythonRegex.translate(pattern), options: [.useUnixLineSeparators])
        } catch {
            throw EvaluationFailure(message: "invalid regular expression '\(pattern)'")
        }
    }

    /// JSON with secrets revealed (the caller marks the result secret) and sorted keys.
    static func json(_ v: Value, pretty: Bool, indent: Int = 0) -> String {
        let pad = pretty ? String(repeating: "    ", count: indent + 1) : ""
        let closePad = pretty ? String(repeating: "    ", count: indent) : ""
        let sep = pretty ? ",\n" : ", "
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? String(d) : "null"
        case .string(let s): return jsonString(s)
        case .secret(let s): return jsonString(s.reveal())
        case .list(let l):
            if l.isEmpty { return "[]" }
            let items = l.map { pad + json($0, pretty: pretty, indent: indent + 1) }
            return pretty ? "[\n" + items.joined(separator: sep) + "\n" + closePad + "]" : "[" + items.joined(separator: sep) + "]"
        case .dict(let d):
            if d.isEmpty { return "{}" }
            let items = d.keys.sorted().map { pad + jsonString($0) + ": " + json(d[$0]!, pretty: pretty, indent: indent + 1) }
            return pretty ? "{\n" + items.joined(separator: sep) + "\n" + closePad + "}" : "{" + items.joined(separator: sep) + "}"
        }
    }

    static func jsonString(_ s: String) -> String { TextEscaping.jsonString(s) }
}
