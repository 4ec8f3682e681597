import Foundation

/// A variable's value: what YAML, inventory, `-e`, facts and registered results produce,
/// and what templates read. `secret` carries passwords and salts; it renders as its text
/// in templates but is masked everywhere output is printed (see `Redactor`).
public enum Value: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case dict([String: Value])
    case secret(Secret)

    /// The value as text, the way a template prints it.
    public var text: String {
        switch self {
        case .null: return ""
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        case .secret(let s): return s.reveal()
        case .list, .dict: return jsonText
        }
    }

    /// Truthiness as in Jinja/Ansible `when:`.
    public var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s):
            return !["", "false", "no", "off", "0"].contains(s.lowercased())
        case .secret(let s): return !s.reveal().isEmpty
        case .list(let l): return !l.isEmpty
        case .dict(let d): return !d.isEmpty
        }
    }

    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .int, .double, .bool: return text
        case .secret(let s): return s.reveal()
        default: return nil
        }
    }

    public var listValue: [Value]? {
        if case .list(let l) = self { return l }
        return nil
    }

    public var dictValue: [String: Value]? {
        if case .dict(let d) = self { return d }
        return nil
    }

    public subscript(key: String) -> Value? {
        if case .dict(let d) = self { return d[key] }
        return nil
    }

    /// Whether this value or anything inside it is a secret.
    public var containsSecret: Bool {
        switch self {
        case .secret: return true
        case .list(let l): return l.contains { $0.containsSecret }
        case .dict(let d): return d.values.contains { $0.containsSecret }
        default: return false
        }
    }

    /// JSON-compatible Foundation object; secrets are masked.
    public var jsonObject: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let b): return b
        case .int(let i): return i
        case .double(let d): return d
        case .string(let s): return s
        case .secret(let s): return s.description
        case .list(let l): return l.map(\.jsonObject)
        case .dict(let d): return d.mapValues(\.jsonObject)
        }
    }

    public var jsonText: String {
        let object = jsonObject
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed])
        else {
            if case .string(let s) = self { return s }
            return String(describing: object)
        }
        return String(decoding: data, as: UTF8.self)
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: Value...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, Value)...) {
        self = .dict(Dictionary(elements, uniquingKeysWith: { $1 }))
    }
}
