import Foundation

/// The engine's door to the template layer. Stand-in: plain `{{ name }}` substitution until
/// the Jinja engine lands.
enum TemplateBridge {
    static func renderValue(_ value: Value, _ variables: [String: Value], at location: SourceLocation?) throws -> Value {
        switch value {
        case .string(let s):
            guard s.contains("{{") else { return value }
            let trimmed = s.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"), trimmed.components(separatedBy: "{{").count == 2 {
                return try lookup(String(trimmed.dropFirst(2).dropLast(2)), variables, location)
            }
            return .string(try renderText(s, variables, origin: location?.description ?? ""))
        case .list(let l): return .list(try l.map { try renderValue($0, variables, at: location) })
        case .dict(let d): return .dict(try d.mapValues { try renderValue($0, variables, at: location) })
        default: return value
        }
    }

    static func lookup(_ expr: String, _ variables: [String: Value], _ location: SourceLocation?) throws -> Value {
        let name = expr.trimmingCharacters(in: .whitespaces)
        var current: Value? = nil
        for (i, part) in name.split(separator: ".").enumerated() {
            current = i == 0 ? variables[String(part)] : current?[String(part)]
        }
        guard let found = current else { throw InputError("undefined variable '\(name)'", at: location) }
        return try renderValue(found, variables, at: location)
    }

    static func renderText(_ text: String, _ variables: [String: Value], origin: String) throws -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { throw InputError("unclosed {{ in \(origin)") }
            out += try lookup(String(rest[open.upperBound..<close.lowerBound]), variables, nil).text
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    static func evaluate(_ condition: String, _ variables: [String: Value], at location: SourceLocation?) throws -> Bool {
        let parts = condition.components(separatedBy: "==")
        if parts.count == 2 {
            let lhs = try lookup(parts[0], variables, location).text
            let rhs = parts[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
            return lhs == rhs
        }
        return try lookup(condition, variables, location).isTruthy
    }
}
