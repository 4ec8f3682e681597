import Foundation
import ProvisionCore

/// Jinja tests (`is defined`, …) and the filters provision implements.
extension Evaluator {
    // MARK: Tests

    func test(_ base: Expr, _ name: String, _ argExprs: [Expr]) throws -> Bool {
        switch name {
        case "defined": return try evalIfDefined(base) != nil
        case "undefined": return try evalIfDefined(base) == nil
        default: break
        }
        return try test(name, try eval(base), try argExprs.map(eval))
    }

    /// A test applied to a value (also what `select`/`selectattr` apply to each item): a value
    /// is always defined.
    func test(_ name: String, _ v: Value, _ args: [Value]) throws -> Bool {
        func arg0() throws -> Value {
            guard let a = args.first else { throw EvaluationFailure(message: "test '\(name)' needs an argument") }
            return a
        }
        switch name {
        case "defined": return true
        case "undefined": return false
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
        case "succeeded", "success", "successful": return !(v["failed"]?.isTruthy ?? false)
        case "skipped": return v["skipped"]?.isTruthy ?? false
        case "eq", "equalto", "==": return Evaluator.equal(v, try arg0())
        case "ne", "!=": return !Evaluator.equal(v, try arg0())
        case "lt", "<": return try order(v, try arg0(), .lt)
        case "le", "<=": return try order(v, try arg0(), .le)
        case "gt", ">": return try order(v, try arg0(), .gt)
        case "ge", ">=": return try order(v, try arg0(), .ge)
        case "in": return try Evaluator.contains(try arg0(), v)
        case "match", "search", "regex":
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
        default:
            if let result = try moreTest(name, v, args) { return result }
            throw EvaluationFailure(message: "unknown test '\(name)'",
                                    hint: Suggestions.hint(for: name, in: TemplateBuiltins.tests))
        }
    }

    // MARK: Filters

    func filter(_ base: Expr, _ name: String, _ argExprs: [Expr], _ kwargExprs: [String: Expr]) throws -> Value {
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
        return try filter(name, try eval(base), try argExprs.map(eval), try kwargExprs.mapValues(eval))
    }

    /// A filter applied to a value (also what `map('name', …)` applies to each item). Anything
    /// computed from a secret is a secret: when the value or an argument holds one and the
    /// result does not, the result's text is sealed (`Evaluator.sealed`).
    func filter(_ name: String, _ v: Value, _ args: [Value], _ kwargs: [String: Value]) throws -> Value {
        let out = try unsealedFilter(name, v, args, kwargs)
        let fromSecret = v.containsSecret || args.contains(where: \.containsSecret) || kwargs.values.contains(where: \.containsSecret)
        return fromSecret && !out.containsSecret ? Evaluator.sealed(out) : out
    }

    func unsealedFilter(_ name: String, _ v: Value, _ args: [Value], _ kwargs: [String: Value]) throws -> Value {
        func stringArg(_ i: Int, _ key: String, default d: String? = nil) throws -> String {
            if i < args.count { return outputText(args[i]) }
            if let k = kwargs[key] { return outputText(k) }
            if let d { return d }
            throw EvaluationFailure(message: "filter '\(name)' needs an argument '\(key)'")
        }
        func text() -> String { outputText(v) }
        switch name {
        // On a value (inside `map`): it is defined, so `default` gives it unless `boolean` and falsy.
        case "default", "d":
            let boolean = (args.count > 1 ? args[1] : kwargs["boolean"])?.isTruthy ?? false
            return boolean && !v.isTruthy ? (args.first ?? .string("")) : v
        case "mandatory": return v
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
        // Ansible's default style: each line after "# ", between "#" lines (`{{ ansible_managed | comment }}`).
        case "comment":
            let lines = text().split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "#" : "# " + $0 }
            return .string((["#"] + lines + ["#"]).joined(separator: "\n"))
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
            // Python's re.sub: `\1`, `\g<1>`, `\g<name>` in the replacement; ignorecase=, multiline=.
            let regex = try pythonRegex(name, try stringArg(0, "regex"), kwargs)
            let pieces: [PythonRegex.Piece]
            do {
                pieces = try PythonRegex.parseTemplate(try stringArg(1, "replacement", default: ""))
            } catch let e as ModuleError {
                throw EvaluationFailure(message: "regex_replace: \(e.message)", hint: "write a literal backslash as '\\\\\\\\'")
            }
            if let problem = PythonRegex.templateProblem(try stringArg(1, "replacement", default: ""), for: regex) {
                throw EvaluationFailure(message: "regex_replace: the replacement \(problem)")
            }
            return .string(PythonRegex.substitute(regex, pieces, in: text()).text)
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
            if let out = try moreFilter(name, v, args, kwargs) { return out }
            throw EvaluationFailure(message: "unknown filter '\(name)'",
                                    hint: Suggestions.hint(for: name, in: TemplateBuiltins.filters))
        }
    }
}
