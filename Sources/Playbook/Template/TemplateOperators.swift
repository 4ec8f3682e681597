import Foundation
import ProvisionCore

/// Comparison, arithmetic, `in`, `~` and `range`, with Jinja's (Python's) rules.
extension Evaluator {
    // MARK: Operators

    static func number(_ v: Value) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    static func equal(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.dict(let x), .dict(let y)):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { equal(v, $0) } ?? false }
        case (.string, .string), (.secret, .secret), (.string, .secret), (.secret, .string):
            return a.text == b.text
        case (.bool(let x), .bool(let y)): return x == y
        default:
            if let x = number(a), let y = number(b) {
                if case .bool = a { return false }  // True == 1 is legal but surprising; keep bools apart
                if case .bool = b { return false }
                return x == y
            }
            return false
        }
    }

    func order(_ a: Value, _ b: Value, _ op: BinaryOperator) throws -> Bool {
        let result: ComparisonResult
        if let x = Evaluator.number(a), let y = Evaluator.number(b) {
            result = x < y ? .orderedAscending : (x > y ? .orderedDescending : .orderedSame)
        } else if a.kindName == "string", b.kindName == "string" {
            let x = a.text, y = b.text
            result = x < y ? .orderedAscending : (x > y ? .orderedDescending : .orderedSame)
        } else {
            throw EvaluationFailure(message: "cannot compare a \(a.kindName) with a \(b.kindName) using '\(op.rawValue)'",
                                    hint: "convert with '| int' or '| string' first")
        }
        switch op {
        case .lt: return result == .orderedAscending
        case .le: return result != .orderedDescending
        case .gt: return result == .orderedDescending
        default: return result != .orderedAscending
        }
    }

    static func contains(_ container: Value, _ item: Value) throws -> Bool {
        switch container {
        case .list(let l): return l.contains { equal($0, item) }
        case .dict(let d): return d[item.text] != nil
        case .string, .secret: return container.text.contains(item.text)
        case .null: return false
        default: throw EvaluationFailure(message: "'in' needs a list, mapping or string on its right, not a \(container.kindName)")
        }
    }

    func binary(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
        switch op {
        case .eq: return .bool(Evaluator.equal(a, b))
        case .ne: return .bool(!Evaluator.equal(a, b))
        case .lt, .le, .gt, .ge: return .bool(try order(a, b, op))
        case .in: return .bool(try Evaluator.contains(b, a))
        case .notIn: return .bool(!(try Evaluator.contains(b, a)))
        // Text made from a secret is a secret (so a filter after it keeps it one).
        case .concat: return a.containsSecret || b.containsSecret ? .secret(Secret(outputText(a) + outputText(b))) : .string(outputText(a) + outputText(b))
        case .add:
            switch (a, b) {
            case (.int(let x), .int(let y)): return .int(x &+ y)
            case (.list(let x), .list(let y)): return .list(x + y)
            case (.string, .string): return .string(a.text + b.text)
            case (.secret, .string), (.string, .secret), (.secret, .secret): return .secret(Secret(a.text + b.text))
            default: break
            }
        case .sub, .mul, .div, .floorDiv, .mod, .pow:
            if case .int(let x) = a, case .int(let y) = b {
                switch op {
                case .sub: return .int(x &- y)
                case .mul: return .int(x &* y)
                case .floorDiv, .mod:
                    guard y != 0 else { throw EvaluationFailure(message: "division by zero") }
                    // Python's floor division and modulo; Int.min // -1 does not fit an integer.
                    let (q, overflow) = x.dividedReportingOverflow(by: y)
                    guard !overflow else { throw EvaluationFailure(message: "\(x) \(op.rawValue) \(y) does not fit an integer") }
                    let r = x - q * y
                    let floors = r != 0 && (r < 0) != (y < 0)
                    return .int(op == .floorDiv ? (floors ? q - 1 : q) : (floors ? r + y : r))
                case .pow where y >= 0:
                    let p = pow(Double(x), Double(y))
                    return Evaluator.exactInt(p).map(Value.int) ?? .double(p)
                default: break
                }
            }
            if case .string(let s) = a, case .int(let n) = b, op == .mul {
                let (size, overflow) = s.utf8.count.multipliedReportingOverflow(by: max(0, n))
                guard !overflow, size <= Evaluator.maxRepeatedLength else {
                    throw EvaluationFailure(message: "'*' would make a string of more than \(Evaluator.maxRepeatedLength) bytes")
                }
                return .string(String(repeating: s, count: max(0, n)))
            }
        }
        guard let x = Evaluator.number(a), let y = Evaluator.number(b) else {
            throw EvaluationFailure(message: "cannot apply '\(op.rawValue)' to a \(a.kindName) and a \(b.kindName)",
                                    hint: op == .add ? "use '~' to join text" : "convert with '| int' first")
        }
        switch op {
        case .add: return .double(x + y)
        case .sub: return .double(x - y)
        case .mul: return .double(x * y)
        case .div:
            guard y != 0 else { throw EvaluationFailure(message: "division by zero") }
            return .double(x / y)
        case .floorDiv:
            guard y != 0 else { throw EvaluationFailure(message: "division by zero") }
            return .double((x / y).rounded(.down))
        case .mod:
            guard y != 0 else { throw EvaluationFailure(message: "division by zero") }
            return .double(x - (x / y).rounded(.down) * y)
        default: return .double(pow(x, y))
        }
    }

    func range(_ args: [Value]) throws -> Value {
        let ints = args.compactMap { if case .int(let i) = $0 { return i } else { return nil } }
        guard ints.count == args.count, (1...3).contains(ints.count) else {
            throw EvaluationFailure(message: "range() takes 1 to 3 integers")
        }
        let (start, stop, step) = ints.count == 1 ? (0, ints[0], 1) : (ints[0], ints[1], ints.count == 3 ? ints[2] : 1)
        guard step != 0 else { throw EvaluationFailure(message: "range() step must not be zero") }
        return .list(Swift.stride(from: start, to: stop, by: step).prefix(100_000).map(Value.int))
    }

    /// `dict(pairs)`: a mapping from a list of [key, value] pairs (`dict(keys | zip(values))`).
    func dictionary(_ args: [Value]) throws -> Value {
        guard args.count == 1, let pairs = args[0].listValue else {
            throw EvaluationFailure(message: "dict() needs a list of [key, value] pairs, e.g. dict(keys | zip(values))")
        }
        var d: [String: Value] = [:]
        for (i, pair) in pairs.enumerated() {
            guard let kv = pair.listValue, kv.count == 2 else {
                throw EvaluationFailure(message: "dict(): item \(i + 1) is not a [key, value] pair")
            }
            d[outputText(kv[0])] = kv[1]
        }
        return .dict(d)
    }

    func callMethod(_ base: Value, _ method: String, _ args: [Value]) throws -> Value {
        func arg(_ i: Int) -> String? { i < args.count ? outputText(args[i]) : nil }
        switch (base, method) {
        case (.dict(let d), "items"): return .list(d.keys.sorted().map { .list([.string($0), d[$0]!]) })
        case (.dict(let d), "keys"): return .list(d.keys.sorted().map(Value.string))
        case (.dict(let d), "values"): return .list(d.keys.sorted().map { d[$0]! })
        case (.dict(let d), "get"): return d[arg(0) ?? ""] ?? (args.count > 1 ? args[1] : .null)
        case (.string(let s), "startswith"): return .bool(s.hasPrefix(arg(0) ?? ""))
        case (.string(let s), "endswith"): return .bool(s.hasSuffix(arg(0) ?? ""))
        case (.string(let s), "lower"): return .string(s.lowercased())
        case (.string(let s), "upper"): return .string(s.uppercased())
        case (.string(let s), "strip"): return .string(s.trimmingCharacters(in: .whitespacesAndNewlines))
        case (.string(let s), "replace"): return .string(s.replacingOccurrences(of: arg(0) ?? "", with: arg(1) ?? ""))
        case (.string, "split"), (.secret, "split"):
            // Python's str.split(sep=None, maxsplit=-1), as the `split` filter.
            return try filter("split", base, args, [:])
        default:
            throw EvaluationFailure(message: "a \(base.kindName) has no method '\(method)'")
        }
    }
}
