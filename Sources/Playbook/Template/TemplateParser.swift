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
