import ProvisionCore

// MARK: - Expressions (Jinja's precedence)

struct ExpressionParser {
    var tokens: [LocatedToken]
    var index = 0
    var line: Int
    /// Parentheses, brackets, `not`, unary signs and chains of operators, filters and
    /// subscripts nest at most this deep in total: the evaluator recurses on the tree, and a
    /// host thread's stack is small (found by fuzzing).
    static let maxDepth = 100
    var depth = 0

    mutating func enter() throws(TemplateSyntaxError) {
        depth += 1
        guard depth <= Self.maxDepth else {
            throw error("expression nested too deeply (more than \(Self.maxDepth) levels)", hint: "split it with a variable")
        }
    }

    init(tokens: [LocatedToken], line: Int = 1) {
        self.tokens = tokens
        self.line = tokens.first?.line ?? line
    }

    var peek: Token? { index < tokens.count ? tokens[index].token : nil }
    func peek(_ offset: Int) -> Token? { index + offset < tokens.count ? tokens[index + offset].token : nil }
    mutating func advance() {
        if index < tokens.count { line = tokens[index].line }
        index += 1
    }

    func error(_ message: String, hint: String? = nil) -> TemplateSyntaxError {
        TemplateSyntaxError(message: message, line: index < tokens.count ? tokens[index].line : line, hint: hint)
    }

    func describe(_ t: Token?) -> String {
        switch t {
        case nil: return "end of expression"
        case .name(let n): return "'\(n)'"
        case .string(let s): return "string '\(s)'"
        case .int(let i): return "'\(i)'"
        case .double(let d): return "'\(d)'"
        case .op(let o): return "'\(o)'"
        case .end: return "end of tag"
        }
    }

    mutating func expectEnd() throws(TemplateSyntaxError) {
        if let t = peek {
            throw error("unexpected \(describe(t))", hint: t == .op("=") ? "use '==' to compare" : nil)
        }
    }

    mutating func expectOp(_ op: String) throws(TemplateSyntaxError) {
        guard peek == .op(op) else { throw error("expected '\(op)', found \(describe(peek))") }
        advance()
    }

    mutating func parseTargetNames() throws(TemplateSyntaxError) -> [String] {
        var names: [String] = []
        repeat {
            if !names.isEmpty { advance() }
            guard case .name(let n)? = peek else { throw error("expected a variable name, found \(describe(peek))") }
            names.append(n)
            advance()
        } while peek == .op(",")
        return names
    }

    mutating func parseExpression(allowConditional: Bool = true) throws(TemplateSyntaxError) -> Expr {
        try enter()
        defer { depth -= 1 }
        let e = try parseOr()
        if allowConditional, peek == .name("if") {
            advance()
            let condition = try parseOr()
            var otherwise: Expr?
            if peek == .name("else") {
                advance()
                otherwise = try parseExpression()
            }
            return .conditional(e, condition, otherwise)
        }
        return e
    }

    mutating func parseOr() throws(TemplateSyntaxError) -> Expr {
        let entry = depth
        defer { depth = entry }
        var e = try parseAnd()
        while peek == .name("or") {
            advance()
            try enter()  // each wrap makes the tree one level deeper
            e = .or(e, try parseAnd())
        }
        return e
    }

    mutating func parseAnd() throws(TemplateSyntaxError) -> Expr {
        let entry = depth
        defer { depth = entry }
        var e = try parseNot()
        while peek == .name("and") {
            advance()
            try enter()  // each wrap makes the tree one level deeper
            e = .and(e, try parseNot())
        }
        return e
    }

    mutating func parseNot() throws(TemplateSyntaxError) -> Expr {
        if peek == .name("not") {
            advance()
            try enter()
            defer { depth -= 1 }
            return .not(try parseNot())
        }
        return try parseCompare()
    }

    mutating func parseCompare() throws(TemplateSyntaxError) -> Expr {
        let entry = depth
        defer { depth = entry }
        var e = try parseMath1()
        while true {
            if case .op(let o)? = peek, let op = BinaryOperator(rawValue: o), ["==", "!=", "<", "<=", ">", ">="].contains(o) {
                advance()
                try enter()  // each wrap makes the tree one level deeper
                e = .binary(op, e, try parseMath1())
            } else if peek == .name("in") {
                advance()
                try enter()  // each wrap makes the tree one level deeper
                e = .binary(.in, e, try parseMath1())
            } else if peek == .name("not"), peek(1) == .name("in") {
                advance(); advance()
                try enter()  // each wrap makes the tree one level deeper
                e = .binary(.notIn, e, try parseMath1())
            } else {
                return e
            }
        }
    }

    mutating func parseMath1() throws(TemplateSyntaxError) -> Expr {
        let entry = depth
        defer { depth = entry }
        var e = try parseConcat()
        while case .op(let o)? = peek, o == "+" || o == "-" {
            advance()
            try enter()  // each wrap makes the tree one level deeper
            e = .binary(o == "+" ? .add : .sub, e, try parseConcat())
        }
        return e
    }

    mutating func parseConcat() throws(TemplateSyntaxError) -> Expr {
        let entry = depth
        defer { depth = entry }
        var e = try parseMath2()
        while peek == .op("~") {
            advance()
            try enter()  // each wrap makes the tree one level deeper
            e = .binary(.concat, e, try parseMath2())
        }
        return e
    }

    mutating func parseMath2() throws(TemplateSyntaxError) -> Expr {
        let entry = depth
        defer { depth = entry }
        var e = try parsePow()
        while case .op(let o)? = peek, let op = BinaryOperator(rawValue: o), ["*", "/", "//", "%"].contains(o) {
            advance()
            try enter()  // each wrap makes the tree one level deeper
            e = .binary(op, e, try parsePow())
        }
        return e
    }

    mutating func parsePow() throws(TemplateSyntaxError) -> Expr {
        let entry = depth
        defer { depth = entry }
        var e = try parseUnary()
        while peek == .op("**") {
            advance()
            try enter()  // each wrap makes the tree one level deeper
            e = .binary(.pow, e, try parseUnary())
        }
        return e
    }

    /// Jinja: `-3 | abs` is `(-3) | abs`: filters apply after the unary operator.
    mutating func parseUnary(withFilters: Bool = true) throws(TemplateSyntaxError) -> Expr {
        var e: Expr
        if peek == .op("-") || peek == .op("+") {
            let negate = peek == .op("-")
            advance()
            try enter()
            defer { depth -= 1 }
            let operand = try parseUnary(withFilters: false)
            e = negate ? .negate(operand) : operand
        } else {
            e = try parsePostfix(try parsePrimary())
        }
        return withFilters ? try parseFilters(e) : e
    }

    mutating func parseFilters(_ start: Expr) throws(TemplateSyntaxError) -> Expr {
        let entry = depth
        defer { depth = entry }
        var e = start
        while true {
            if peek == .op("|") {
                advance()
                guard case .name(let name)? = peek else { throw error("expected a filter name after '|', found \(describe(peek))") }
                guard TemplateBuiltins.filters.contains(name) else {
                    throw error("unknown filter '\(name)'", hint: Suggestions.hint(for: name, in: TemplateBuiltins.filters))
                }
                advance()
                var args: [Expr] = []
                var kwargs: [String: Expr] = [:]
                if peek == .op("(") { (args, kwargs) = try parseArguments() }
                try checkNamedInArguments(name, args)
                try enter()  // each wrap makes the tree one level deeper
                e = .filter(e, name, args, kwargs)
            } else if peek == .name("is") {
                advance()
                var negated = false
                if peek == .name("not") {
                    negated = true
                    advance()
                }
                let name: String
                switch peek {
                case .name(let n)?: name = n
                case .op(let o)? where ["==", "!=", "<", "<=", ">", ">="].contains(o): name = o
                default: throw error("expected a test name after 'is', found \(describe(peek))")
                }
                guard TemplateBuiltins.tests.contains(name) else {
                    throw error("unknown test '\(name)'", hint: Suggestions.hint(for: name, in: TemplateBuiltins.tests))
                }
                advance()
                var args: [Expr] = []
                if peek == .op("(") {
                    args = try testArguments(name, try parseArguments())
                } else if let t = peek, startsPrimary(t) {
                    args = [try parsePostfix(try parsePrimary())]
                }
                try enter()  // each wrap makes the tree one level deeper
                e = .test(e, name, negated: negated, args)
            } else {
                return e
            }
        }
    }

    func startsPrimary(_ t: Token) -> Bool {
        switch t {
        case .string, .int, .double: return true
        case .name(let n): return !["and", "or", "not", "in", "is", "if", "else"].contains(n)
        case .op(let o): return o == "(" || o == "["
        case .end: return false
        }
    }

    /// `map('upper')`, `select('match', …)`, `selectattr('x', 'eq', …)` name a filter or test in
    /// a string: a literal name must exist, so a typo fails when the template is read.
    func checkNamedInArguments(_ filter: String, _ args: [Expr]) throws(TemplateSyntaxError) {
        let position: Int, known: Set<String>, kind: String
        switch filter {
        case "map": (position, known, kind) = (0, TemplateBuiltins.filters, "filter")
        case "select", "reject": (position, known, kind) = (0, TemplateBuiltins.tests, "test")
        case "selectattr", "rejectattr": (position, known, kind) = (1, TemplateBuiltins.tests, "test")
        default: return
        }
        guard position < args.count, case .literal(.string(let name)) = args[position], !known.contains(name) else { return }
        throw error("\(filter): unknown \(kind) '\(name)'", hint: Suggestions.hint(for: name, in: known))
    }

    /// A test's arguments: keywords it takes go to their positions; others are an error (a
    /// test would ignore them silently).
    func testArguments(_ name: String, _ parsed: ([Expr], [String: Expr])) throws(TemplateSyntaxError) -> [Expr] {
        var (args, kwargs) = parsed
        guard !kwargs.isEmpty else { return args }
        let keywords = TemplateBuiltins.testKeywords[name] ?? []
        for (i, keyword) in keywords.enumerated() {
            guard let value = kwargs.removeValue(forKey: keyword) else { continue }
            guard i >= args.count else { throw error("test '\(name)' is given '\(keyword)' twice") }
            while args.count < i { args.append(.literal(.null)) }
            args.append(value)
        }
        if let extra = kwargs.keys.sorted().first {
            throw error("test '\(name)' takes no argument '\(extra)'",
                        hint: keywords.isEmpty ? "give its arguments in order, without names" : "it takes \(keywords.joined(separator: ", "))")
        }
        return args
    }

    mutating func parseArguments() throws(TemplateSyntaxError) -> ([Expr], [String: Expr]) {
        try expectOp("(")
        var args: [Expr] = []
        var kwargs: [String: Expr] = [:]
        while peek != .op(")") {
            if case .name(let k)? = peek, peek(1) == .op("=") {
                advance(); advance()
                kwargs[k] = try parseExpression()
            } else {
                args.append(try parseExpression())
            }
            if peek == .op(",") { advance() } else { break }
        }
        try expectOp(")")
        return (args, kwargs)
    }

    mutating func parsePostfix(_ start: Expr) throws(TemplateSyntaxError) -> Expr {
        let entry = depth
        defer { depth = entry }
        var e = start
        while true {
            if peek == .op(".") {
                advance()
                try enter()  // each wrap makes the tree one level deeper
                switch peek {
                case .name(let n)?: e = .attribute(e, n)
                case .int(let i)?: e = .index(e, .literal(.int(i)))
                default: throw error("expected an attribute name after '.', found \(describe(peek))")
                }
                advance()
            } else if peek == .op("[") {
                advance()
                let key = try parseExpression()
                try expectOp("]")
                try enter()  // each wrap makes the tree one level deeper
                e = .index(e, key)
            } else if peek == .op("(") {
                if case .name(let n) = e, !TemplateBuiltins.functions.contains(n) {
                    throw error("unknown function '\(n)'", hint: Suggestions.hint(for: n, in: TemplateBuiltins.functions))
                }
                try enter()  // each wrap makes the tree one level deeper
                let (args, kwargs) = try parseArguments()
                if case .name("dict") = e {
                    // dict(a=1, b=2) is a mapping literal; dict(pairs) a call (a list of [key, value]).
                    switch (args.isEmpty, kwargs.isEmpty) {
                    case (true, _):
                        e = .dict(kwargs.keys.sorted().map { DictEntry(key: .literal(.string($0)), value: kwargs[$0]!) })
                    case (false, true) where args.count == 1: e = .call(e, args)
                    default: throw error("dict() takes either one list of [key, value] pairs or key=value arguments",
                                         hint: "e.g. dict(keys | zip(values)) or dict(name='x', port=80)")
                    }
                } else {
                    e = .call(e, args)
                }
            } else {
                return e
            }
        }
    }

    mutating func parsePrimary() throws(TemplateSyntaxError) -> Expr {
        guard let t = peek else { throw error("expected a value, found end of expression") }
        switch t {
        case .string(var s):
            advance()
            while case .string(let more)? = peek {  // adjacent literals concatenate
                s += more
                advance()
            }
            return .literal(.string(s))
        case .int(let i):
            advance()
            return .literal(.int(i))
        case .double(let d):
            advance()
            return .literal(.double(d))
        case .name(let n):
            switch n {
            case "true", "True": advance(); return .literal(.bool(true))
            case "false", "False": advance(); return .literal(.bool(false))
            case "none", "None", "null": advance(); return .literal(.null)
            case "and", "or", "not", "in", "is", "if", "else":
                throw error("expected a value, found '\(n)'")
            default: advance(); return .name(n)
            }
        case .op("("):
            advance()
            let e = try parseExpression()
            if peek == .op(",") {  // tuple -> list
                var items = [e]
                while peek == .op(",") {
                    advance()
                    if peek == .op(")") { break }
                    items.append(try parseExpression())
                }
                try expectOp(")")
                return .list(items)
            }
            try expectOp(")")
            return e
        case .op("["):
            advance()
            var items: [Expr] = []
            while peek != .op("]") {
                items.append(try parseExpression())
                if peek == .op(",") { advance() } else { break }
            }
            try expectOp("]")
            return .list(items)
        case .op("{"):
            advance()
            var entries: [DictEntry] = []
            while peek != .op("}") {
                let k = try parseExpression()
                try expectOp(":")
                entries.append(DictEntry(key: k, value: try parseExpression()))
                if peek == .op(",") { advance() } else { break }
            }
            try expectOp("}")
            return .dict(entries)
        default:
            throw error("expected a value, found \(describe(t))")
        }
    }
}
