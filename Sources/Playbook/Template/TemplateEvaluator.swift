import Foundation
import ProvisionCore

/// A reference to something undefined; `default` and `is defined` catch it, everything else
/// turns it into "undefined variable '…'".
struct UndefinedValue: Error {
    var path: String
    var candidates: [String]
}

/// A failure while evaluating, at the evaluator's current line.
struct EvaluationFailure: Error {
    var message: String
    var hint: String?
}

final class Evaluator {
    let resolver: Resolver
    let origin: SourceLocation?
    var touchedSecret = false
    var locals: [[String: Value]] = []
    var line = 1

    init(resolver: Resolver, origin: SourceLocation?) {
        self.resolver = resolver
        self.origin = origin
    }

    // MARK: Entry points (errors become located InputErrors)

    func render(_ nodes: [TemplateNode]) throws -> String {
        var out = ""
        try located { try self.render(nodes, into: &out) }
        return out
    }

    func evaluate(_ expr: Expr) throws -> Value {
        try located { try self.eval(expr) }
    }

    private func located<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let u as UndefinedValue {
            throw InputError("undefined variable '\(u.path)'", at: TemplateEngine.location(origin, line: line),
                             hint: Suggestions.hint(for: u.path, in: u.candidates))
        } catch let f as EvaluationFailure {
            throw InputError(f.message, at: TemplateEngine.location(origin, line: line), hint: f.hint)
        }
    }

    // MARK: Nodes

    private func render(_ nodes: [TemplateNode], into out: inout String) throws {
        for node in nodes {
            switch node {
            case .text(let t):
                out += t
            case .output(let e, let l):
                line = l
                out += outputText(try eval(e))
            case .conditional(let branches, let elseBody):
                var done = false
                for branch in branches {
                    line = branch.line
                    if try eval(branch.condition).isTruthy {
                        try render(branch.body, into: &out)
                        done = true
                        break
                    }
                }
                if !done, let elseBody { try render(elseBody, into: &out) }
            case .loop(let names, let iterable, let body, let elseBody, let l):
                line = l
                let items = try iterate(try eval(iterable))
                if items.isEmpty {
                    if let elseBody { try render(elseBody, into: &out) }
                    continue
                }
                locals.append([:])
                defer { locals.removeLast() }
                for (i, item) in items.enumerated() {
                    var frame: [String: Value] = [
                        "loop": .dict([
                            "index": .int(i + 1), "index0": .int(i), "first": .bool(i == 0),
                            "last": .bool(i == items.count - 1), "length": .int(items.count),
                            "revindex": .int(items.count - i), "revindex0": .int(items.count - i - 1),
                        ]),
                    ]
                    try bind(names, to: item, in: &frame)
                    locals[locals.count - 1] = frame
                    try render(body, into: &out)
                }
            case .assign(let names, let e, let l):
                line = l
                let v = try eval(e)
                if locals.isEmpty { locals.append([:]) }
                var frame = locals[locals.count - 1]
                try bind(names, to: v, in: &frame)
                locals[locals.count - 1] = frame
            }
        }
    }

    private func bind(_ names: [String], to value: Value, in frame: inout [String: Value]) throws {
        if names.count == 1 {
            frame[names[0]] = value
            return
        }
        guard let parts = value.listValue, parts.count == names.count else {
            throw EvaluationFailure(message: "cannot unpack \(value.kindName) into \(names.count) names (\(names.joined(separator: ", ")))")
        }
        for (n, v) in zip(names, parts) { frame[n] = v }
    }

    private func iterate(_ v: Value) throws -> [Value] {
        switch v {
        case .list(let l): return l
        case .dict(let d): return d.keys.sorted().map(Value.string)
        case .string(let s): return s.map { .string(String($0)) }
        case .null: return []
        default: throw EvaluationFailure(message: "cannot loop over a \(v.kindName)")
        }
    }

    func outputText(_ v: Value) -> String {
        switch v {
        case .string(let s): return s
        case .secret(let s): return s.reveal()
        case .list, .dict: return Evaluator.json(v, pretty: false)
        default: return v.text
        }
    }

    // MARK: Expressions

    private func lookup(_ name: String) throws -> Value {
        for frame in locals.reversed() {
            if let v = frame[name] { return noteSecret(v) }
        }
        if let v = try resolver.lookup(name) { return noteSecret(v) }
        if name == "omit" { return .string(TemplateEngine.omitPlaceholder) }
        throw UndefinedValue(path: name, candidates: Array(resolver.scope.names) + locals.flatMap(\.keys))
    }

    private func noteSecret(_ v: Value) -> Value {
        if v.containsSecret { touchedSecret = true }
        return v
    }

    static func pathText(_ e: Expr) -> String {
        switch e {
        case .name(let n): return n
        case .attribute(let base, let key): return pathText(base) + "." + key
        case .index(let base, .literal(let k)):
            if case .string(let s) = k { return pathText(base) + "['\(s)']" }
            return pathText(base) + "[\(k.text)]"
        case .index(let base, _): return pathText(base) + "[…]"
        default: return "expression"
        }
    }

    func eval(_ e: Expr) throws -> Value {
        switch e {
        case .literal(let v): return v
        case .name(let n): return try lookup(n)
        case .list(let items): return .list(try items.map(eval))
        case .dict(let entries):
            var d: [String: Value] = [:]
            for entry in entries { d[outputText(try eval(entry.key))] = try eval(entry.value) }
            return .dict(d)
        case .attribute(let base, let key):
            let b = try eval(base)
            if case .dict(let d) = b {
                if let v = d[key] { return noteSecret(v) }
                throw UndefinedValue(path: Evaluator.pathText(e), candidates: d.keys.map { Evaluator.pathText(base) + "." + $0 })
            }
            throw UndefinedValue(path: Evaluator.pathText(e), candidates: [])
        case .index(let base, let keyExpr):
            let b = try eval(base)
            let k = try eval(keyExpr)
            switch (b, k) {
            case (.dict(let d), _):
                if let v = d[outputText(k)] { return noteSecret(v) }
                throw UndefinedValue(path: Evaluator.pathText(e), candidates: [])
            case (.list(let l), .int(let i)):
                let index = i < 0 ? l.count + i : i
                guard index >= 0, index < l.count else {
                    throw EvaluationFailure(message: "index \(i) is out of range for \(Evaluator.pathText(base)) (\(l.count) items)")
                }
                return l[index]
            case (.string(let s), .int(let i)):
                let chars = Array(s)
                let index = i < 0 ? chars.count + i : i
                guard index >= 0, index < chars.count else { throw EvaluationFailure(message: "string index \(i) is out of range") }
                return .string(String(chars[index]))
            default:
                throw UndefinedValue(path: Evaluator.pathText(e), candidates: [])
            }
        case .call(let callee, let args):
            let values = try args.map(eval)
            if case .attribute(let base, let method) = callee {
                return try callMethod(try eval(base), method, values)
            }
            if case .name("range") = callee { return try range(values) }
            throw EvaluationFailure(message: "\(Evaluator.pathText(callee)) is not callable")
        case .filter(let base, let name, let args, let kwargs):
            return try filter(base, name, args, kwargs)
        case .test(let base, let name, let negated, let args):
            let result = try test(base, name, args)
            return .bool(negated ? !result : result)
        case .not(let x): return .bool(!(try eval(x).isTruthy))
        case .negate(let x):
            switch try eval(x) {
            case .int(let i): return .int(-i)
            case .double(let d): return .double(-d)
            case let v: throw EvaluationFailure(message: "cannot negate a \(v.kindName)")
            }
        case .and(let a, let b):
            let l = try eval(a)
            return l.isTruthy ? try eval(b) : l
        case .or(let a, let b):
            let l = try eval(a)
            return l.isTruthy ? l : try eval(b)
        case .conditional(let value, let condition, let otherwise):
            if try eval(condition).isTruthy { return try eval(value) }
            return try otherwise.map(eval) ?? .null
        case .binary(let op, let a, let b):
            return try binary(op, try eval(a), try eval(b))
        }
    }

    /// Evaluates `e`, or nil when it (or anything it reads) is undefined.
    private func evalIfDefined(_ e: Expr) throws -> Value? {
        do {
            return try eval(e)
        } catch is UndefinedValue {
            return nil
        }
    }

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

    private func order(_ a: Value, _ b: Value, _ op: BinaryOperator) throws -> Bool {
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

    private func binary(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
        switch op {
        case .eq: return .bool(Evaluator.equal(a, b))
        case .ne: return .bool(!Evaluator.equal(a, b))
        case .lt, .le, .gt, .ge: return .bool(try order(a, b, op))
        case .in: return .bool(try Evaluator.contains(b, a))
        case .notIn: return .bool(!(try Evaluator.contains(b, a)))
        case .concat: return .string(outputText(a) + outputText(b))
        case .add:
            switch (a, b) {
            case (.int(let x), .int(let y)): return .int(x &+ y)
            case (.list(let x), .list(let y)): return .list(x + y)
            case (.string, .string), (.secret, .string), (.string, .secret), (.secret, .secret): return .string(a.text + b.text)
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

    private func range(_ args: [Value]) throws -> Value {
        let ints = args.compactMap { if case .int(let i) = $0 { return i } else { return nil } }
        guard ints.count == args.count, (1...3).contains(ints.count) else {
            throw EvaluationFailure(message: "range() takes 1 to 3 integers")
        }
        let (start, stop, step) = ints.count == 1 ? (0, ints[0], 1) : (ints[0], ints[1], ints.count == 3 ? ints[2] : 1)
        guard step != 0 else { throw EvaluationFailure(message: "range() step must not be zero") }
        return .list(Swift.stride(from: start, to: stop, by: step).prefix(100_000).map(Value.int))
    }

    private func callMethod(_ base: Value, _ method: String, _ args: [Value]) throws -> Value {
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
        case (.string(let s), "split"):
            if let sep = arg(0), !sep.isEmpty { return .list(s.components(separatedBy: sep).map(Value.string)) }
            return .list(s.split(whereSeparator: \.isWhitespace).map { .string(String($0)) })
        default:
            throw EvaluationFailure(message: "a \(base.kindName) has no method '\(method)'")
        }
    }

    // MARK: Tests

    private func test(_ base: Expr, _ name: String, _ argExprs: [Expr]) throws -> Bool {
        switch name {
        case "defined": return try evalIfDefined(base) != nil
        case "undefined": return try evalIfDefined(base) == nil
        default: break
        }
        let v = try eval(base)
        let args = try argExprs.map(eval)
        func arg0() throws -> Value {
            guard let a = args.first else { throw EvaluationFailure(message: "test '\(name)' needs an argument") }
            return a
        }
        switch name {
        case "none": return v == .null
        case "string": if case .string = v { return true } else if case .secret = v { return true } else { return false }
        case "number": return Evaluator.number(v) != nil && v.kindName != "boolean"
        case "integer": if case .int = v { return true } else { return false }
        case "float": if case .double = v { return true } else { return false }
        case "boolean": if case .bool = v { return true } else { return false }
        case "mapping": return v.dictValue != nil
        case "sequence", "iterable": return v.listValue != nil || v.dictValue != nil || v.stringValue != nil
        case "true": return v == .bool(true)
        case "false": return v == .bool(false)
        case "changed": return v["changed"]?.isTruthy ?? false
        case "failed": return v["failed"]?.isTruthy ?? false
        case "succeeded", "success": return !(v["failed"]?.isTruthy ?? false)
        case "skipped": return v["skipped"]?.isTruthy ?? false
        case "eq", "equalto", "==": return Evaluator.equal(v, try arg0())
        case "ne", "!=": return !Evaluator.equal(v, try arg0())
        case "lt", "<": return try order(v, try arg0(), .lt)
        case "le", "<=": return try order(v, try arg0(), .le)
        case "gt", ">": return try order(v, try arg0(), .gt)
        case "ge", ">=": return try order(v, try arg0(), .ge)
        case "in": return try Evaluator.contains(try arg0(), v)
        case "match", "search":
            let regex = try Evaluator.regex(outputText(try arg0()))
            let s = outputText(v)
            let range = NSRange(s.startIndex..., in: s)
            let options: NSRegularExpression.MatchingOptions = name == "match" ? [.anchored] : []
            return regex.firstMatch(in: s, options: options, range: range) != nil
        case "odd", "even":
            guard case .int(let i) = v else { throw EvaluationFailure(message: "test '\(name)' needs an integer") }
            return (i % 2 != 0) == (name == "odd")
        case "divisibleby":
            guard case .int(let i) = v, case .int(let n) = try arg0(), n != 0 else {
                throw EvaluationFailure(message: "test 'divisibleby' needs integers")
            }
            return i % n == 0
        case "lower": return outputText(v) == outputText(v).lowercased()
        case "upper": return outputText(v) == outputText(v).uppercased()
        default: throw EvaluationFailure(message: "unknown test '\(name)'")
        }
    }

    // MARK: Filters

    private func filter(_ base: Expr, _ name: String, _ argExprs: [Expr], _ kwargExprs: [String: Expr]) throws -> Value {
        if name == "default" || name == "d" {
            let fallback = try argExprs.first.map(eval) ?? .string("")
            let boolean = try (argExprs.count > 1 ? eval(argExprs[1]) : kwargExprs["boolean"].map(eval))?.isTruthy ?? false
            guard let v = try evalIfDefined(base) else { return fallback }
            if boolean, !v.isTruthy { return fallback }
            return v
        }
        if name == "mandatory" {
            guard let v = try evalIfDefined(base) else {
                let message = try argExprs.first.map { outputText(try eval($0)) }
                throw EvaluationFailure(message: message ?? "mandatory variable '\(Evaluator.pathText(base))' is not defined")
            }
            return v
        }
        let v = try eval(base)
        let args = try argExprs.map(eval)
        let kwargs = try kwargExprs.mapValues(eval)
        func stringArg(_ i: Int, _ key: String, default d: String? = nil) throws -> String {
            if i < args.count { return outputText(args[i]) }
            if let k = kwargs[key] { return outputText(k) }
            if let d { return d }
            throw EvaluationFailure(message: "filter '\(name)' needs an argument '\(key)'")
        }
        func text() -> String { outputText(v) }
        switch name {
        case "lower": return .string(text().lowercased())
        case "upper": return .string(text().uppercased())
        case "capitalize": return .string(text().prefix(1).uppercased() + text().dropFirst().lowercased())
        case "trim": return .string(text().trimmingCharacters(in: .whitespacesAndNewlines))
        case "string": return .string(text())
        case "int":
            switch v {
            case .int: return v
            case .double(let d):
                guard let i = Evaluator.exactInt(d.rounded(.towardZero)) else {
                    throw EvaluationFailure(message: "int: \(d) does not fit an integer")
                }
                return .int(i)
            case .bool(let b): return .int(b ? 1 : 0)
            default:
                let s = text().trimmingCharacters(in: .whitespaces)
                if let i = Int(s) { return .int(i) }
                if let d = Double(s), d.isFinite {
                    guard let i = Evaluator.exactInt(d.rounded(.towardZero)) else {
                        throw EvaluationFailure(message: "int: '\(s)' does not fit an integer")
                    }
                    return .int(i)
                }
                return args.first ?? .int(0)
            }
        case "float":
            if let d = Evaluator.number(v) { return .double(d) }
            return .double(Double(text().trimmingCharacters(in: .whitespaces)) ?? 0)
        case "bool":
            switch v {
            case .bool: return v
            case .int(let i): return .bool(i == 1)
            default: return .bool(["yes", "true", "on", "1", "y"].contains(text().lowercased().trimmingCharacters(in: .whitespaces)))
            }
        case "length", "count":
            switch v {
            case .list(let l): return .int(l.count)
            case .dict(let d): return .int(d.count)
            case .null: return .int(0)
            default: return .int(text().count)
            }
        case "join":
            guard let l = v.listValue else { return .string(text()) }
            return .string(l.map(outputText).joined(separator: try stringArg(0, "d", default: "")))
        case "replace":
            return .string(text().replacingOccurrences(of: try stringArg(0, "old"), with: try stringArg(1, "new")))
        case "to_json": return .string(Evaluator.json(v, pretty: false))
        case "to_nice_json": return .string(Evaluator.json(v, pretty: true))
        case "quote": return .string(Shell.quote(text()))
        case "php_string": return .string(Evaluator.phpString(text()))
        case "e", "escape": return .string(Evaluator.htmlEscape(text()))
        case "b64encode": return .string(Data(text().utf8).base64EncodedString())
        case "b64decode":
            guard let data = Data(base64Encoded: text()), let s = String(data: data, encoding: .utf8) else {
                throw EvaluationFailure(message: "b64decode: not valid base64 text")
            }
            return .string(s)
        case "basename": return .string(Evaluator.basename(text()))
        case "dirname": return .string(Evaluator.dirname(text()))
        case "regex_replace":
            let regex = try Evaluator.regex(try stringArg(0, "regex"))
            let template = Evaluator.nsTemplate(try stringArg(1, "replacement", default: ""))
            let s = text()
            return .string(regex.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template))
        case "regex_escape": return .string(NSRegularExpression.escapedPattern(for: text()))
        case "first", "last":
            switch v {
            case .list(let l): return (name == "first" ? l.first : l.last) ?? .null
            default: return .string(String((name == "first" ? text().first : text().last).map { String($0) } ?? ""))
            }
        case "list":
            switch v {
            case .list: return v
            case .dict(let d): return .list(d.keys.sorted().map(Value.string))
            default: return .list(text().map { .string(String($0)) })
            }
        case "sort":
            guard let l = v.listValue else { throw EvaluationFailure(message: "sort needs a list, not a \(v.kindName)") }
            let reverse = (kwargs["reverse"] ?? args.first)?.isTruthy ?? false
            let sorted = l.sorted { a, b in
                if let x = Evaluator.number(a), let y = Evaluator.number(b) { return x < y }
                return outputText(a) < outputText(b)
            }
            return .list(reverse ? sorted.reversed() : sorted)
        case "unique":
            guard let l = v.listValue else { throw EvaluationFailure(message: "unique needs a list, not a \(v.kindName)") }
            var out: [Value] = []
            for item in l where !out.contains(where: { Evaluator.equal($0, item) }) { out.append(item) }
            return .list(out)
        case "abs":
            switch v {
            case .int(let i): return .int(abs(i))
            case .double(let d): return .double(abs(d))
            default: throw EvaluationFailure(message: "abs needs a number, not a \(v.kindName)")
            }
        case "min", "max", "sum":
            guard let l = v.listValue else { throw EvaluationFailure(message: "\(name) needs a list, not a \(v.kindName)") }
            if name == "sum" {
                return try l.reduce(Value.int(0)) { try binary(.add, $0, $1) }
            }
            let sorted = l.sorted { a, b in
                if let x = Evaluator.number(a), let y = Evaluator.number(b) { return x < y }
                return outputText(a) < outputText(b)
            }
            return (name == "min" ? sorted.first : sorted.last) ?? .null
        case "ternary":
            guard args.count >= 2 else { throw EvaluationFailure(message: "ternary needs two arguments: (if true, if false)") }
            if v == .null, args.count > 2 { return args[2] }
            return v.isTruthy ? args[0] : args[1]
        case "combine":
            guard var d = v.dictValue else { throw EvaluationFailure(message: "combine needs a mapping, not a \(v.kindName)") }
            for a in args {
                guard let other = a.dictValue else { throw EvaluationFailure(message: "combine takes mappings, not a \(a.kindName)") }
                d.merge(other) { $1 }
            }
            return .dict(d)
        case "dict2items":
            guard let d = v.dictValue else { throw EvaluationFailure(message: "dict2items needs a mapping, not a \(v.kindName)") }
            return .list(d.keys.sorted().map { .dict(["key": .string($0), "value": d[$0]!]) })
        default:
            throw EvaluationFailure(message: "unknown filter '\(name)'")
        }
    }

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

    static func regex(_ pattern: String) throws -> NSRegularExpression {
        do {
            return try NSRegularExpression(pattern: pattern)
        } catch {
            throw EvaluationFailure(message: "invalid regular expression '\(pattern)'")
        }
    }

    /// Python's `\1` / `\g<1>` / `\g<name>` replacement syntax -> NSRegularExpression's `$1`.
    static func nsTemplate(_ python: String) -> String {
        var out = ""
        var chars = Array(python)[...]
        while let c = chars.popFirst() {
            if c == "$" {
                out += "\\$"
            } else if c == "\\", let n = chars.first {
                if n.isNumber {
                    chars.removeFirst()
                    out += "$" + String(n)
                } else if n == "g", chars.dropFirst().first == "<", let close = chars.firstIndex(of: ">") {
                    let name = String(chars[chars.index(chars.startIndex, offsetBy: 2)..<close])
                    out += name.allSatisfy(\.isNumber) ? "$" + name : "${" + name + "}"
                    chars = chars[(close + 1)...]
                } else if n == "\\" {
                    chars.removeFirst()
                    out += "\\\\"
                } else {
                    out += "\\\\"
                }
            } else {
                out.append(c)
            }
        }
        return out
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

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
