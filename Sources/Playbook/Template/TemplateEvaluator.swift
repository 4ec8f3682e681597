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

    func located<T>(_ body: () throws -> T) throws -> T {
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

    func render(_ nodes: [TemplateNode], into out: inout String) throws {
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

    func bind(_ names: [String], to value: Value, in frame: inout [String: Value]) throws {
        if names.count == 1 {
            frame[names[0]] = value
            return
        }
        guard let parts = value.listValue, parts.count == names.count else {
            throw EvaluationFailure(message: "cannot unpack \(value.kindName) into \(names.count) names (\(names.joined(separator: ", ")))")
        }
        for (n, v) in zip(names, parts) { frame[n] = v }
    }

    func iterate(_ v: Value) throws -> [Value] {
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

    func lookup(_ name: String) throws -> Value {
        for frame in locals.reversed() {
            if let v = frame[name] { return noteSecret(v) }
        }
        if let v = try resolver.lookup(name) { return noteSecret(v) }
        if name == "omit" { return .string(TemplateEngine.omitPlaceholder) }
        throw UndefinedValue(path: name, candidates: Array(resolver.scope.names) + locals.flatMap(\.keys))
    }

    func noteSecret(_ v: Value) -> Value {
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
            if case .name("dict") = callee { return try dictionary(values) }
            if case .name(let n) = callee, TemplateLookup.functionNames.contains(n) {
                let found = try TemplateLookup.values(values, playbookDirectory: try? lookup("playbook_dir").text,
                                                      roleDirectory: try? lookup("role_path").text,
                                                      scope: resolver.scope)
                if found.contains(where: \.containsSecret) { touchedSecret = true }
                return n == "lookup" ? (found.count == 1 ? found[0] : .string(found.map(outputText).joined(separator: ","))) : .list(found)
            }
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
    func evalIfDefined(_ e: Expr) throws -> Value? {
        do {
            return try eval(e)
        } catch is UndefinedValue {
            return nil
        }
    }
}
