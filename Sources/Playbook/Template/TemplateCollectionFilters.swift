import Foundation
import ProvisionCore

/// The filters and tests Ansible content uses on lists, text and data: `map`, `select`,
/// `reject`, `selectattr`, `rejectattr`, `flatten`, `items2dict`, `zip`, `subelements`,
/// `split`, `regex_search`, `regex_findall`, `to_yaml`, `from_json`, `from_yaml`,
/// `password_hash`; the tests `version`, `contains`, `subset`, `superset`. Jinja2's and
/// Ansible's semantics; each error names the filter and what to do.
extension Evaluator {
    /// Filters beyond the basic ones; nil when `name` is none of them.
    func moreFilter(_ name: String, _ v: Value, _ args: [Value], _ kwargs: [String: Value]) throws -> Value? {
        switch name {
        case "map": return try map(v, args, kwargs)
        case "select", "reject": return try select(name, v, args)
        case "selectattr", "rejectattr": return try selectAttribute(name, v, args)
        case "flatten":
            let l = try list(name, v)
            let levels = try (args.first ?? kwargs["levels"]).flatMap { try $0 == .null ? nil : intArg(name, "levels", $0) }
            let skipNulls = (args.count > 1 ? args[1] : kwargs["skip_nulls"])?.isTruthy ?? true
            return .list(Evaluator.flatten(l, levels: levels, skipNulls: skipNulls))
        case "items2dict":
            let l = try list(name, v)
            let keyName = outputText(args.first ?? kwargs["key_name"] ?? "key")
            let valueName = outputText(args.count > 1 ? args[1] : kwargs["value_name"] ?? "value")
            var d: [String: Value] = [:]
            for (i, item) in l.enumerated() {
                guard let entry = item.dictValue else {
                    throw EvaluationFailure(message: "items2dict: item \(i + 1) is a \(item.kindName), not a mapping",
                                            hint: "give a list of mappings like {'\(keyName)': …, '\(valueName)': …}")
                }
                guard let key = entry[keyName], let value = entry[valueName] else {
                    let missing = entry[keyName] == nil ? keyName : valueName
                    throw EvaluationFailure(message: "items2dict: item \(i + 1) has no '\(missing)'",
                                            hint: "name the fields with key_name='…' and value_name='…'")
                }
                d[outputText(key)] = value
            }
            return .dict(d)
        case "zip", "zip_longest":
            let lists = try ([v] + args).map { try list(name, $0) }
            let count = name == "zip" ? (lists.map(\.count).min() ?? 0) : (lists.map(\.count).max() ?? 0)
            let fill = kwargs["fillvalue"] ?? .null
            return .list((0..<count).map { i in .list(lists.map { i < $0.count ? $0[i] : fill }) })
        case "subelements": return try subelements(v, args, kwargs)
        case "split":
            let separator = try (args.first ?? kwargs["sep"]).flatMap { $0 == .null ? nil : outputText($0) }
            if separator == "" { throw EvaluationFailure(message: "split: the separator is empty", hint: "give a separator such as ',' or none to split on whitespace") }
            let maxsplit = try (args.count > 1 ? args[1] : kwargs["maxsplit"]).map { try intArg(name, "maxsplit", $0) } ?? -1
            return .list(Evaluator.split(outputText(v), separator: separator, maxsplit: maxsplit).map(Value.string))
        case "regex_search": return try regexSearch(v, args, kwargs)
        case "regex_findall":
            guard let pattern = args.first ?? kwargs["regex"] else { throw needs(name, "a regular expression, e.g. regex_findall('[0-9]+')") }
            let regex = try pythonRegex(name, outputText(pattern), kwargs)
            let s = outputText(v) as NSString
            return .list(regex.matches(in: s as String, range: NSRange(location: 0, length: s.length)).map { m in
                func group(_ i: Int) -> Value {
                    let r = m.range(at: i)
                    return .string(r.location == NSNotFound ? "" : s.substring(with: r))
                }
                switch regex.numberOfCaptureGroups {
                case 0: return group(0)
                case 1: return group(1)
                default: return .list((1...regex.numberOfCaptureGroups).map(group))
                }
            })
        case "to_yaml", "to_nice_yaml":
            do {
                return .string(try YAMLText.dump(v, nice: name == "to_nice_yaml"))
            } catch {
                throw EvaluationFailure(message: "\(name): \(error)")
            }
        case "from_json":
            let text = outputText(v)
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
                throw EvaluationFailure(message: "from_json: the text is not valid JSON: \(Evaluator.excerpt(text, secret: v.containsSecret))",
                                        hint: "check where it comes from, e.g. a command's stdout")
            }
            return ExtraVars.fromJSON(object)
        case "from_yaml":
            do {
                return try YAMLDocument.loadValue(text: outputText(v), file: "from_yaml").value
            } catch let e as InputError {
                throw EvaluationFailure(message: "from_yaml: the text is not valid YAML (\(e.message))",
                                        hint: "check where it comes from, e.g. a file's content or a command's stdout")
            }
        case "password_hash": return try passwordHash(v, args, kwargs)
        default: return nil
        }
    }

    /// Tests beyond the basic ones; nil when `name` is none of them.
    func moreTest(_ name: String, _ v: Value, _ args: [Value]) throws -> Bool? {
        switch name {
        case "version", "version_compare":
            guard let other = args.first else {
                throw EvaluationFailure(message: "test '\(name)' needs a version to compare with, e.g. is version('1.9', '>=')")
            }
            let op = args.count > 1 && args[1] != .null ? outputText(args[1]) : "eq"
            if args.count > 3, args[3] != .null, !["loose", "python"].contains(outputText(args[3])) {
                throw EvaluationFailure(message: "test '\(name)': version_type '\(outputText(args[3]))' is not supported (only the default, 'loose')")
            }
            let order = try Evaluator.compareVersions(outputText(v), outputText(other))
            switch op {
            case "==", "=", "eq": return order == .orderedSame
            case "!=", "<>", "ne": return order != .orderedSame
            case "<", "lt": return order == .orderedAscending
            case "<=", "le": return order != .orderedDescending
            case ">", "gt": return order == .orderedDescending
            case ">=", "ge": return order != .orderedAscending
            default:
                throw EvaluationFailure(message: "test '\(name)': unknown operator '\(op)'",
                                        hint: "use one of <, <=, >, >=, ==, !=, lt, le, gt, ge, eq, ne")
            }
        case "contains":
            guard let item = args.first else { throw EvaluationFailure(message: "test 'contains' needs the item to look for, e.g. is contains('x')") }
            return try Evaluator.contains(v, item)
        case "subset", "superset":
            guard let other = args.first else { throw EvaluationFailure(message: "test '\(name)' needs a list to compare with") }
            let (small, big) = name == "subset" ? (try list(name, v), try list(name, other)) : (try list(name, other), try list(name, v))
            return small.allSatisfy { x in big.contains { Evaluator.equal($0, x) } }
        case "truthy": return v.isTruthy
        case "falsy": return !v.isTruthy
        default: return nil
        }
    }

    // MARK: map, select, selectattr

    /// `map('filter', args…)` applies a filter to each item; `map(attribute='a.b', default=…)`
    /// takes an attribute of each.
    func map(_ v: Value, _ args: [Value], _ kwargs: [String: Value]) throws -> Value {
        let items = try list("map", v)
        if let attribute = kwargs["attribute"] {
            let path = outputText(attribute)
            return .list(try items.enumerated().map { i, item in
                if let found = Evaluator.attribute(item, path) { return found }
                if let d = kwargs["default"] { return d }
                throw EvaluationFailure(message: "map(attribute='\(path)'): item \(i + 1) (a \(item.kindName)) has no '\(path)'",
                                        hint: "give a default: map(attribute='\(path)', default=''), or keep the items that have it: selectattr('\(path)', 'defined')")
            })
        }
        guard let first = args.first else {
            throw needs("map", "a filter name or attribute=…, e.g. map('upper') or map(attribute='name')")
        }
        let name = outputText(first)
        try Evaluator.checkKnown(name, filter: true, in: "map")
        let rest = Array(args.dropFirst())
        return .list(try items.map { try filter(name, $0, rest, kwargs) })
    }

    /// `select('test', args…)` keeps the items the test holds for (`reject` the others);
    /// with no test, the truthy items.
    func select(_ name: String, _ v: Value, _ args: [Value]) throws -> Value {
        let items = try list(name, v)
        let keep = name == "select"
        guard let first = args.first else { return .list(items.filter { $0.isTruthy == keep }) }
        let test = outputText(first)
        try Evaluator.checkKnown(test, filter: false, in: name)
        let rest = Array(args.dropFirst())
        return .list(try items.filter { try self.test(test, $0, rest) == keep })
    }

    /// `selectattr('a.b')` keeps the items whose attribute is truthy; `selectattr('a', 'test',
    /// args…)` those it passes. As in Ansible, an item without the attribute is an error,
    /// except for the tests `defined` and `undefined`.
    func selectAttribute(_ name: String, _ v: Value, _ args: [Value]) throws -> Value {
        let items = try list(name, v)
        guard let first = args.first else { throw needs(name, "an attribute name, e.g. \(name)('enabled') or \(name)('state', 'eq', 'present')") }
        let path = outputText(first)
        let test = args.count > 1 ? outputText(args[1]) : nil
        if let test { try Evaluator.checkKnown(test, filter: false, in: name) }
        let rest = Array(args.dropFirst(2))
        let keep = name == "selectattr"
        return .list(try items.enumerated().filter { i, item in
            guard let found = Evaluator.attribute(item, path) else {
                if test == "defined" { return !keep }
                if test == "undefined" { return keep }
                throw EvaluationFailure(message: "\(name)('\(path)'): item \(i + 1) (a \(item.kindName)) has no '\(path)'",
                                        hint: "keep the items that have it first: selectattr('\(path)', 'defined')")
            }
            let passes = try test.map { try self.test($0, found, rest) } ?? found.isTruthy
            return passes == keep
        }.map(\.element))
    }

    /// `users | subelements('keys')`: a [item, subitem] pair for each subitem of each item.
    func subelements(_ v: Value, _ args: [Value], _ kwargs: [String: Value]) throws -> Value {
        let items = try list("subelements", v)
        guard let first = args.first else { throw needs("subelements", "the name of a list in each item, e.g. subelements('authorized_keys')") }
        let path = outputText(first)
        let flags = args.count > 1 ? args[1] : nil
        let skipMissing = (flags?["skip_missing"] ?? kwargs["skip_missing"] ?? (flags?.dictValue == nil ? flags : nil))?.isTruthy ?? false
        var out: [Value] = []
        for (i, item) in items.enumerated() {
            guard let found = Evaluator.attribute(item, path) else {
                if skipMissing { continue }
                throw EvaluationFailure(message: "subelements: item \(i + 1) has no '\(path)'",
                                        hint: "give each item '\(path)', or pass skip_missing=true")
            }
            guard let subitems = found.listValue else {
                throw EvaluationFailure(message: "subelements: '\(path)' of item \(i + 1) is a \(found.kindName), not a list")
            }
            out += subitems.map { .list([item, $0]) }
        }
        return .list(out)
    }

    /// An item's attribute by a dotted path (`a.b`, `a.0`), as Jinja's attribute getter reads
    /// it; nil when missing.
    static func attribute(_ item: Value, _ path: String) -> Value? {
        var current = item
        for part in path.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
            switch current {
            case .dict(let d):
                guard let next = d[part] else { return nil }
                current = next
            case .list(let l):
                guard let i = Int(part), i >= 0, i < l.count else { return nil }
                current = l[i]
            default: return nil
            }
        }
        return current
    }

    /// A filter or test named in a string (`map('upper')`, `select('match', …)`) must exist;
    /// the parser checks literal names, this the computed ones.
    static func checkKnown(_ name: String, filter: Bool, in outer: String) throws {
        let known = filter ? TemplateBuiltins.filters : TemplateBuiltins.tests
        guard !known.contains(name) else { return }
        throw EvaluationFailure(message: "\(outer): unknown \(filter ? "filter" : "test") '\(name)'",
                                hint: Suggestions.hint(for: name, in: known))
    }

    // MARK: Text

    /// Python's `str.split(sep, maxsplit)`: with no separator, runs of whitespace split and
    /// the ends are trimmed; with one, every occurrence splits (empty parts kept).
    static func split(_ s: String, separator: String?, maxsplit: Int) -> [String] {
        let limit = maxsplit < 0 ? Int.max : maxsplit
        guard let separator else {
            var parts: [String] = []
            var rest = Substring(s).drop(while: \.isWhitespace)
            while !rest.isEmpty {
                if parts.count == limit {
                    parts.append(String(rest))
                    break
                }
                let word = rest.prefix(while: { !$0.isWhitespace })
                parts.append(String(word))
                rest = rest[word.endIndex...].drop(while: \.isWhitespace)
            }
            return parts
        }
        var parts: [String] = []
        var rest = Substring(s)
        while parts.count < limit, let r = rest.range(of: separator) {
            parts.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        return parts + [String(rest)]
    }

    /// `regex_search(regex, '\\1', '\\g<name>', ignorecase=, multiline=)`: the first match's
    /// text, or none; with group arguments, the list of those groups (Ansible's behaviour).
    func regexSearch(_ v: Value, _ args: [Value], _ kwargs: [String: Value]) throws -> Value {
        guard let pattern = args.first ?? kwargs["regex"] else { throw needs("regex_search", "a regular expression, e.g. regex_search('[0-9]+')") }
        let groups = try args.dropFirst().map { arg -> PythonRegex.Piece in
            let text = outputText(arg)
            if text.hasPrefix("\\g<"), text.hasSuffix(">"), text.count > 4 {
                let name = String(text.dropFirst(3).dropLast())
                return Int(name).map(PythonRegex.Piece.group) ?? .named(name)
            }
            if text.hasPrefix("\\"), let n = Int(text.dropFirst()) { return .group(n) }
            throw EvaluationFailure(message: "regex_search: unknown argument '\(text)'",
                                    hint: "name groups as '\\\\1' or '\\\\g<name>'; ignorecase=true and multiline=true are keywords")
        }
        let regex = try pythonRegex("regex_search", outputText(pattern), kwargs)
        let s = outputText(v) as NSString
        guard let m = regex.firstMatch(in: s as String, range: NSRange(location: 0, length: s.length)) else { return .null }
        func text(_ r: NSRange) -> Value { r.location == NSNotFound ? .null : .string(s.substring(with: r)) }
        if groups.isEmpty { return text(m.range) }
        return .list(try groups.map { group in
            switch group {
            case .group(let n):
                guard n <= regex.numberOfCaptureGroups else {
                    throw EvaluationFailure(message: "regex_search: no group \(n) (the regex has \(regex.numberOfCaptureGroups))")
                }
                return text(m.range(at: n))
            case .named(let name):
                guard regex.pattern.contains("(?<\(name)>") else {
                    throw EvaluationFailure(message: "regex_search: the regex has no group named '\(name)'", hint: "name a group with (?P<\(name)>…)")
                }
                return text(m.range(withName: name))
            case .text: return .null
            }
        })
    }

    func pythonRegex(_ name: String, _ pattern: String, _ kwargs: [String: Value]) throws -> NSRegularExpression {
        do {
            return try PythonRegex.compile(pattern, multiline: kwargs["multiline"]?.isTruthy ?? false,
                                           ignoreCase: kwargs["ignorecase"]?.isTruthy ?? false)
        } catch {
            throw EvaluationFailure(message: "\(name): invalid regular expression '\(pattern)'")
        }
    }

    /// `password_hash('sha512', salt)`: crypt(3)'s SHA-512 (`$6$salt$…`), what `user: password=`
    /// stores. A salt makes it repeatable (the same hash on every run, so the task is not
    /// changed each time); without one a random salt is drawn. `rounds=` is passed on as
    /// crypt's `rounds=N$`. Only sha512 is offered: md5 and des are weak, and `blowfish`
    /// needs a libcrypt that has it.
    func passwordHash(_ v: Value, _ args: [Value], _ kwargs: [String: Value]) throws -> Value {
        let scheme = outputText(args.first ?? kwargs["hashtype"] ?? "sha512")
        guard scheme == "sha512" || scheme == "sha512_crypt" else {
            throw EvaluationFailure(message: "password_hash: '\(scheme)' is not supported (only 'sha512')",
                                    hint: "use password_hash('sha512') or password_hash('sha512', salt)")
        }
        var salt = (args.count > 1 ? args[1] : kwargs["salt"]).flatMap { $0 == .null ? nil : outputText($0) }
        if let s = salt {
            let allowed = Set("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
            guard !s.isEmpty, s.allSatisfy(allowed.contains) else {
                throw EvaluationFailure(message: "password_hash: the salt may hold only the characters ./0-9A-Za-z",
                                        hint: "e.g. password_hash('sha512', 'mysalt'), or no salt for a random one")
            }
        } else {
            let alphabet = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
            var generator = SystemRandomNumberGenerator()
            salt = String((0..<16).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
        }
        var setting = "$6$"
        if let rounds = args.count > 2 ? args[2] : kwargs["rounds"], rounds != .null {
            setting += "rounds=\(try intArg("password_hash", "rounds", rounds))$"
        }
        setting += String(salt!.prefix(16))
        guard let hash = CryptHash.crypt(outputText(v), setting: setting), hash.hasPrefix("$6$") else {
            throw EvaluationFailure(message: "password_hash: crypt(3) on this machine cannot make a SHA-512 hash")
        }
        return .string(hash)
    }

    // MARK: Helpers

    func list(_ name: String, _ v: Value) throws -> [Value] {
        switch v {
        case .list(let l): return l
        case .dict, .null: return try iterate(v)
        default: throw EvaluationFailure(message: "\(name) needs a list, not a \(v.kindName)")
        }
    }

    func intArg(_ name: String, _ key: String, _ v: Value) throws -> Int {
        if case .int(let i) = v { return i }
        if let i = Int(outputText(v).trimmingCharacters(in: .whitespaces)) { return i }
        throw EvaluationFailure(message: "\(name): \(key) must be an integer, not '\(outputText(v))'")
    }

    func needs(_ name: String, _ what: String) -> EvaluationFailure {
        EvaluationFailure(message: "filter '\(name)' needs \(what)")
    }

    /// Ansible's flatten: nested lists spliced in (`levels` deep, or all the way), `none`
    /// items (and the strings 'None', 'null') dropped unless `skip_nulls=false`.
    static func flatten(_ items: [Value], levels: Int?, skipNulls: Bool) -> [Value] {
        var out: [Value] = []
        for item in items {
            if skipNulls, item == .null || item == .string("None") || item == .string("null") { continue }
            if case .list(let inner) = item, levels.map({ $0 >= 1 }) ?? true {
                out += flatten(inner, levels: levels.map { $0 - 1 }, skipNulls: skipNulls)
            } else {
                out.append(item)
            }
        }
        return out
    }

    /// Python's LooseVersion order (what Ansible's `version` test uses by default): numbers
    /// compare as numbers, letters as text, part by part; a shorter version that is a prefix
    /// is older. A number against letters at the same place cannot be compared (as in Python 3).
    static func compareVersions(_ a: String, _ b: String) throws -> ComparisonResult {
        let x = looseParts(a), y = looseParts(b)
        for (p, q) in zip(x, y) {
            switch (p, q) {
            case (.int(let i), .int(let j)): if i != j { return i < j ? .orderedAscending : .orderedDescending }
            case (.string(let s), .string(let t)): if s != t { return s < t ? .orderedAscending : .orderedDescending }
            default:
                throw EvaluationFailure(message: "version: cannot compare '\(a)' with '\(b)' ('\(p.text)' against '\(q.text)')",
                                        hint: "compare versions of the same shape, e.g. '1.10' with '1.9'")
            }
        }
        return x.count == y.count ? .orderedSame : (x.count < y.count ? .orderedAscending : .orderedDescending)
    }

    /// `re.split(r'(\d+|[a-z]+|\.)', v)` without the empty parts and the dots; digits as ints.
    static func looseParts(_ v: String) -> [Value] {
        var parts: [Value] = []
        var other = ""
        var chars = Substring(v)
        func flush() { if !other.isEmpty { parts.append(.string(other)); other = "" } }
        while let c = chars.first {
            if c.isASCII, c.isNumber {
                flush()
                let digits = chars.prefix { $0.isASCII && $0.isNumber }
                parts.append(Int(digits).map(Value.int) ?? .string(String(digits)))
                chars = chars[digits.endIndex...]
            } else if ("a"..."z").contains(c) {
                flush()
                let letters = chars.prefix { ("a"..."z").contains($0) }
                parts.append(.string(String(letters)))
                chars = chars[letters.endIndex...]
            } else if c == "." {
                flush()
                chars = chars.dropFirst()
            } else {
                other.append(c)
                chars = chars.dropFirst()
            }
        }
        flush()
        return parts
    }

    /// Every string inside `v` as a secret: what a filter returns from a secret.
    static func sealed(_ v: Value) -> Value {
        switch v {
        case .string(let s): return .secret(Secret(s))
        case .list(let l): return .list(l.map(sealed))
        case .dict(let d): return .dict(d.mapValues(sealed))
        default: return v
        }
    }

    /// Text to quote in an error: the start of it, or nothing when it is a secret.
    static func excerpt(_ text: String, secret: Bool) -> String {
        if secret { return "(a secret, not shown)" }
        let line = text.prefix(60).replacingOccurrences(of: "\n", with: "\\n")
        return "'" + line + (text.count > 60 ? "…'" : "'")
    }
}
