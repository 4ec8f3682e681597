import ProvisionCore

/// Turns template text into `TemplateNode`s. Text outside tags is kept byte for byte, except
/// where `{%- -%}`/`{{- -}}` strip whitespace and where a block tag's newline is trimmed
/// (Ansible's `trim_blocks`: the first newline after `%}` or `#}` is dropped).
struct TemplateParser {
    let bytes: [UInt8]
    var position = 0
    var line = 1

    init(_ text: String) { bytes = Array(text.utf8) }

    static func compile(_ text: String) throws(TemplateSyntaxError) -> CompiledTemplate {
        if !text.contains("{{") && !text.contains("{%") && !text.contains("{#") {
            return CompiledTemplate(nodes: [.text(text)], singleExpression: nil, isPlainText: true)
        }
        var parser = TemplateParser(text)
        let items = try parser.scan()
        var builder = TreeBuilder(items: items)
        let nodes = try builder.build()
        var single: Expr?
        if nodes.count == 1, case .output(let e, _) = nodes[0] { single = e }
        return CompiledTemplate(nodes: nodes, singleExpression: single, isPlainText: false)
    }

    /// A bare expression, as in `when:`.
    static func compileExpression(_ text: String) throws(TemplateSyntaxError) -> Expr {
        var parser = TemplateParser(text)
        let tokens = try parser.tokens(until: nil)
        var p = ExpressionParser(tokens: tokens)
        let e = try p.parseExpression()
        try p.expectEnd()
        return e
    }

    // MARK: Scanning text and tags

    enum Item {
        case text(String)
        case output([LocatedToken], line: Int)
        case statement([LocatedToken], line: Int)
    }

    mutating func scan() throws(TemplateSyntaxError) -> [Item] {
        var items: [Item] = []
        var textStart = position
        var stripNextText = false
        var trimNextNewline = false

        func flushText(upTo end: Int, stripTrailing: Bool, into items: inout [Item]) {
            var start = textStart
            var stop = end
            if stripNextText {
                while start < stop, isSpace(bytes[start]) { start += 1 }
            } else if trimNextNewline, start < stop {
                if bytes[start] == UInt8(ascii: "\n") { start += 1 }
                else if bytes[start] == UInt8(ascii: "\r"), start + 1 < stop, bytes[start + 1] == UInt8(ascii: "\n") { start += 2 }
            }
            if stripTrailing {
                while stop > start, isSpace(bytes[stop - 1]) { stop -= 1 }
            }
            if stop > start { items.append(.text(String(decoding: bytes[start..<stop], as: UTF8.self))) }
            stripNextText = false
            trimNextNewline = false
        }

        while position < bytes.count {
            let c = bytes[position]
            guard c == UInt8(ascii: "{"), position + 1 < bytes.count else {
                if c == UInt8(ascii: "\n") { line += 1 }
                position += 1
                continue
            }
            let next = bytes[position + 1]
            guard next == UInt8(ascii: "{") || next == UInt8(ascii: "%") || next == UInt8(ascii: "#") else {
                position += 1
                continue
            }
            let tagLine = line
            let stripBefore = position + 2 < bytes.count && bytes[position + 2] == UInt8(ascii: "-")
            flushText(upTo: position, stripTrailing: stripBefore, into: &items)
            position += stripBefore ? 3 : 2
            switch next {
            case UInt8(ascii: "#"):
                // Comment: up to `#}`.
                var stripAfter = false
                var closed = false
                while position + 1 < bytes.count {
                    if bytes[position] == UInt8(ascii: "#"), bytes[position + 1] == UInt8(ascii: "}") {
                        stripAfter = position > 0 && bytes[position - 1] == UInt8(ascii: "-")
                        position += 2
                        closed = true
                        break
                    }
                    if bytes[position] == UInt8(ascii: "\n") { line += 1 }
                    position += 1
                }
                guard closed else { throw TemplateSyntaxError(message: "unclosed comment '{#'", line: tagLine, hint: "close it with '#}'") }
                stripNextText = stripAfter
                trimNextNewline = !stripAfter
            case UInt8(ascii: "{"):
                var tokens = try tokens(until: "}}")
                guard case .end(let stripAfter) = tokens.removeLast().token else { fatalError("unreachable") }
                items.append(.output(tokens, line: tagLine))
                stripNextText = stripAfter
            default:
                var tokens = try tokens(until: "%}")
                guard case .end(let stripAfter) = tokens.removeLast().token else { fatalError("unreachable") }
                if tokens.count == 1, tokens[0].token == .name("raw") {
                    // {% raw %} … {% endraw %}: kept as text.
                    textStart = position
                    trimNextNewline = !stripAfter
                    stripNextText = stripAfter
                    guard let (contentEnd, afterEnd, stripEndBefore, stripEndAfter) = findEndRaw() else {
                        throw TemplateSyntaxError(message: "'{% raw %}' is never closed", line: tagLine, hint: "add '{% endraw %}'")
                    }
                    flushText(upTo: contentEnd, stripTrailing: stripEndBefore, into: &items)
                    for b in bytes[textStart..<afterEnd] where b == UInt8(ascii: "\n") { line += 1 }
                    position = afterEnd
                    stripNextText = stripEndAfter
                    trimNextNewline = !stripEndAfter
                    textStart = position
                    continue
                }
                items.append(.statement(tokens, line: tagLine))
                stripNextText = stripAfter
                trimNextNewline = !stripAfter
            }
            textStart = position
        }
        flushText(upTo: bytes.count, stripTrailing: false, into: &items)
        return items
    }

    /// Finds `{% endraw %}` from `position`: (start of tag, end of tag, `{%-`, `-%}`).
    func findEndRaw() -> (Int, Int, Bool, Bool)? {
        var i = position
        while i + 1 < bytes.count {
            if bytes[i] == UInt8(ascii: "{"), bytes[i + 1] == UInt8(ascii: "%") {
                var j = i + 2
                let stripBefore = j < bytes.count && bytes[j] == UInt8(ascii: "-")
                if stripBefore { j += 1 }
                while j < bytes.count, isSpace(bytes[j]) { j += 1 }
                let word = Array("endraw".utf8)
                if j + word.count <= bytes.count, Array(bytes[j..<(j + word.count)]) == word {
                    j += word.count
                    while j < bytes.count, isSpace(bytes[j]) { j += 1 }
                    var stripAfter = false
                    if j < bytes.count, bytes[j] == UInt8(ascii: "-") { stripAfter = true; j += 1 }
                    if j + 1 < bytes.count, bytes[j] == UInt8(ascii: "%"), bytes[j + 1] == UInt8(ascii: "}") {
                        return (i, j + 2, stripBefore, stripAfter)
                    }
                }
            }
            i += 1
        }
        return nil
    }

    func isSpace(_ b: UInt8) -> Bool {
        b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r")
    }

    // MARK: Expression tokens

    /// Tokens from `position` up to the closing delimiter (`}}` or `%}`), which is returned as `.end`;
    /// with `closing == nil`, up to the end of the text (a bare `when:` expression).
    mutating func tokens(until closing: String?) throws(TemplateSyntaxError) -> [LocatedToken] {
        var result: [LocatedToken] = []
        var braceDepth = 0
        let startLine = line
        let closeFirst: UInt8? = closing.map { Array($0.utf8)[0] }
        while true {
            while position < bytes.count, isSpace(bytes[position]) {
                if bytes[position] == UInt8(ascii: "\n") { line += 1 }
                position += 1
            }
            guard position < bytes.count else {
                if let closing {
                    throw TemplateSyntaxError(message: "'\(closing == "}}" ? "{{" : "{%")' is never closed",
                                              line: startLine, hint: "close it with '\(closing)'")
                }
                return result
            }
            let c = bytes[position]
            let next: UInt8? = position + 1 < bytes.count ? bytes[position + 1] : nil
            let next2: UInt8? = position + 2 < bytes.count ? bytes[position + 2] : nil
            if let closeFirst, braceDepth == 0 {
                if c == closeFirst, next == UInt8(ascii: "}") {
                    position += 2
                    result.append(LocatedToken(token: .end(stripAfter: false), line: line))
                    return result
                }
                if c == UInt8(ascii: "-"), next == closeFirst, next2 == UInt8(ascii: "}") {
                    position += 3
                    result.append(LocatedToken(token: .end(stripAfter: true), line: line))
                    return result
                }
            }
            let tokenLine = line
            func add(_ t: Token) { result.append(LocatedToken(token: t, line: tokenLine)) }
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                add(.string(try stringLiteral(quote: c)))
            } else if isDigit(c) {
                add(number())
            } else if isNameStart(c) {
                let start = position
                while position < bytes.count, isNameStart(bytes[position]) || isDigit(bytes[position]) { position += 1 }
                add(.name(String(decoding: bytes[start..<position], as: UTF8.self)))
            } else {
                let two = next.map { String(decoding: [c, $0], as: UTF8.self) } ?? ""
                if ["==", "!=", "<=", ">=", "//", "**"].contains(two) {
                    add(.op(two))
                    position += 2
                } else if "()[]{}.,:|~+-*/%<>=".utf8.contains(c) {
                    if c == UInt8(ascii: "{") { braceDepth += 1 }
                    if c == UInt8(ascii: "}") { braceDepth -= 1 }
                    if braceDepth < 0 {
                        throw TemplateSyntaxError(message: "unexpected '}'", line: tokenLine, hint: nil)
                    }
                    add(.op(String(UnicodeScalar(c))))
                    position += 1
                } else {
                    let scalar = String(decoding: bytes[position..<min(bytes.count, position + 1)], as: UTF8.self)
                    throw TemplateSyntaxError(message: "unexpected character '\(scalar)' in expression", line: tokenLine, hint: nil)
                }
            }
        }
    }

    func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    func isNameStart(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || b == UInt8(ascii: "_")
    }

    mutating func number() -> Token {
        let start = position
        while position < bytes.count, isDigit(bytes[position]) || bytes[position] == UInt8(ascii: "_") { position += 1 }
        var isDouble = false
        if position + 1 < bytes.count, bytes[position] == UInt8(ascii: "."), isDigit(bytes[position + 1]) {
            isDouble = true
            position += 1
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            var p = position + 1
            if p < bytes.count, bytes[p] == UInt8(ascii: "+") || bytes[p] == UInt8(ascii: "-") { p += 1 }
            if p < bytes.count, isDigit(bytes[p]) {
                isDouble = true
                position = p
                while position < bytes.count, isDigit(bytes[position]) { position += 1 }
            }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self).replacingOccurrences(of: "_", with: "")
        if isDouble { return .double(Double(text) ?? 0) }
        return Int(text).map(Token.int) ?? .double(Double(text) ?? 0)
    }

    mutating func stringLiteral(quote: UInt8) throws(TemplateSyntaxError) -> String {
        let startLine = line
        position += 1
        var out: [UInt8] = []
        while position < bytes.count {
            let c = bytes[position]
            if c == quote {
                position += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c == UInt8(ascii: "\n") { line += 1 }
            if c == UInt8(ascii: "\\"), position + 1 < bytes.count {
                let e = bytes[position + 1]
                switch e {
                case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): out.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
                case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(e)
                default: out.append(c); out.append(e)
                }
                position += 2
                continue
            }
            out.append(c)
            position += 1
        }
        throw TemplateSyntaxError(message: "unterminated string literal", line: startLine, hint: "close the quote")
    }
}

// MARK: - Block structure

struct TreeBuilder {
    var items: [TemplateParser.Item]
    var index = 0
    /// `{% if %}`/`{% for %}` nest at most this deep (rendering recurses; found by fuzzing).
    static let maxDepth = 64
    var depth = 0

    init(items: [TemplateParser.Item]) { self.items = items }

    mutating func build() throws(TemplateSyntaxError) -> [TemplateNode] {
        let (nodes, terminator) = try parseBody(until: [])
        if let (word, line) = terminator {
            throw TemplateSyntaxError(message: "unexpected '{% \(word) %}'", line: line, hint: nil)
        }
        return nodes
    }

    /// Nodes up to one of `terminators` (returned with its tokens consumed into `lastStatement`).
    var lastStatement: [LocatedToken] = []

    mutating func parseBody(until terminators: Set<String>) throws(TemplateSyntaxError) -> ([TemplateNode], (String, Int)?) {
        var nodes: [TemplateNode] = []
        while index < items.count {
            let item = items[index]
            index += 1
            switch item {
            case .text(let t):
                nodes.append(.text(t))
            case .output(let tokens, let line):
                var p = ExpressionParser(tokens: tokens, line: line)
                guard !tokens.isEmpty else { throw TemplateSyntaxError(message: "empty '{{ }}'", line: line, hint: nil) }
                let e = try p.parseExpression()
                try p.expectEnd()
                nodes.append(.output(e, line: line))
            case .statement(let tokens, let line):
                guard case .name(let word)? = tokens.first?.token else {
                    throw TemplateSyntaxError(message: "expected a statement such as 'if' or 'for' after '{%'", line: line, hint: nil)
                }
                if terminators.contains(word) {
                    lastStatement = tokens
                    return (nodes, (word, line))
                }
                switch word {
                case "if": nodes.append(try parseIf(tokens, line: line))
                case "for": nodes.append(try parseFor(tokens, line: line))
                case "set":
                    var p = ExpressionParser(tokens: Array(tokens.dropFirst()), line: line)
                    let names = try p.parseTargetNames()
                    try p.expectOp("=")
                    let e = try p.parseExpression()
                    try p.expectEnd()
                    nodes.append(.assign(names: names, e, line: line))
                case "elif", "else", "endif", "endfor":
                    throw TemplateSyntaxError(message: "unexpected '{% \(word) %}'", line: line,
                                              hint: word == "endfor" ? "no '{% for %}' is open" : "no '{% if %}' is open")
                default:
                    throw TemplateSyntaxError(message: "unknown statement '\(word)'", line: line,
                                              hint: Suggestions.hint(for: word, in: ["if", "elif", "else", "endif", "for", "endfor", "set", "raw"])
                                                  ?? "supported: if, elif, else, endif, for, endfor, set, raw")
                }
            }
        }
        return (nodes, nil)
    }

    mutating func enterBlock(line: Int) throws(TemplateSyntaxError) {
        depth += 1
        guard depth <= Self.maxDepth else {
            throw TemplateSyntaxError(message: "blocks nested too deeply (more than \(Self.maxDepth) levels)", line: line,
                                      hint: "close each '{% if %}' and '{% for %}' with its end tag")
        }
    }

    mutating func parseIf(_ tokens: [LocatedToken], line: Int) throws(TemplateSyntaxError) -> TemplateNode {
        try enterBlock(line: line)
        defer { depth -= 1 }
        var branches: [ConditionalBranch] = []
        var elseBody: [TemplateNode]?
        var conditionTokens = Array(tokens.dropFirst())
        var branchLine = line
        while true {
            var p = ExpressionParser(tokens: conditionTokens, line: branchLine)
            let condition = try p.parseExpression()
            try p.expectEnd()
            let (body, terminator) = try parseBody(until: ["elif", "else", "endif"])
            branches.append(ConditionalBranch(condition: condition, body: body, line: branchLine))
            guard let (word, termLine) = terminator else {
                throw TemplateSyntaxError(message: "'{% if %}' is never closed", line: line, hint: "add '{% endif %}'")
            }
            switch word {
            case "elif":
                conditionTokens = Array(lastStatement.dropFirst())
                branchLine = termLine
                continue
            case "else":
                let (body, end) = try parseBody(until: ["endif", "elif", "else"])
                guard let (endWord, endLine) = end else {
                    throw TemplateSyntaxError(message: "'{% if %}' is never closed", line: line, hint: "add '{% endif %}'")
                }
                guard endWord == "endif" else {
                    throw TemplateSyntaxError(message: "unexpected '{% \(endWord) %}' after '{% else %}'", line: endLine, hint: nil)
                }
                elseBody = body
            default:
                break
            }
            return .conditional(branches, elseBody: elseBody)
        }
    }

    mutating func parseFor(_ tokens: [LocatedToken], line: Int) throws(TemplateSyntaxError) -> TemplateNode {
        try enterBlock(line: line)
        defer { depth -= 1 }
        var p = ExpressionParser(tokens: Array(tokens.dropFirst()), line: line)
        let names = try p.parseTargetNames()
        guard p.peek == .name("in") else {
            throw TemplateSyntaxError(message: "expected 'in' in '{% for %}'", line: line, hint: "write '{% for x in items %}'")
        }
        p.advance()
        let iterable = try p.parseExpression(allowConditional: false)
        try p.expectEnd()
        let (body, terminator) = try parseBody(until: ["endfor", "else"])
        guard let (word, _) = terminator else {
            throw TemplateSyntaxError(message: "'{% for %}' is never closed", line: line, hint: "add '{% endfor %}'")
        }
        var elseBody: [TemplateNode]?
        if word == "else" {
            let (body, end) = try parseBody(until: ["endfor"])
            guard end != nil else {
                throw TemplateSyntaxError(message: "'{% for %}' is never closed", line: line, hint: "add '{% endfor %}'")
            }
            elseBody = body
        }
        return .loop(variables: names, iterable: iterable, body: body, elseBody: elseBody, line: line)
    }
}

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
                    args = try parseArguments().0
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
                e = .call(e, try parseArguments().0)
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
