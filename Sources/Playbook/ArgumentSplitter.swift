import ProvisionCore

/// Splits `key=value key2='quoted value'` strings the way Ansible does: shell-like quoting,
/// and never inside `{{ … }}` or `{% … %}`.
public enum ArgumentSplitter {
    public struct Token: Sendable, Equatable {
        /// The token with quotes removed.
        public var text: String
        /// Where the token was in the original string (quotes included).
        public var range: Range<String.Index>
    }

    public struct SplitError: Error, Equatable {
        public var message: String
    }

    public static func split(_ input: String) throws -> [String] {
        try tokens(input).map(\.text)
    }

    public static func tokens(_ input: String) throws -> [Token] {
        var result: [Token] = []
        var index = input.startIndex
        while index < input.endIndex {
            while index < input.endIndex, input[index].isWhitespace { index = input.index(after: index) }
            guard index < input.endIndex else { break }
            let start = index
            var text = ""
            var quote: Character?
            var depth = 0
            while index < input.endIndex {
                let c = input[index]
                let next = input.index(after: index)
                let following: Character? = next < input.endIndex ? input[next] : nil
                if depth == 0, quote == nil, c.isWhitespace { break }
                if quote == nil, c == "{", following == "{" || following == "%" {
                    depth += 1
                    text.append(c)
                    text.append(following!)
                    index = input.index(after: next)
                    continue
                }
                if depth > 0, quote == nil, c == "}" || c == "%", following == "}" {
                    depth -= 1
                    text.append(c)
                    text.append("}")
                    index = input.index(after: next)
                    continue
                }
                if depth > 0 {
                    // Quotes inside a template belong to the expression: keep them.
                    if let q = quote { if c == q { quote = nil } } else if c == "'" || c == "\"" { quote = c }
                    text.append(c)
                    index = next
                    continue
                }
                if let q = quote {
                    if c == q {
                        quote = nil
                    } else if c == "\\", q == "\"", let f = following, f == "\"" || f == "\\" {
                        text.append(f)
                        index = input.index(after: next)
                        continue
                    } else {
                        text.append(c)
                    }
                } else if c == "'" || c == "\"" {
                    quote = c
                } else if c == "\\", let f = following {
                    text.append(f)
                    index = input.index(after: next)
                    continue
                } else {
                    text.append(c)
                }
                index = next
            }
            if let quote { throw SplitError(message: "unterminated \(quote) quote") }
            if depth > 0 { throw SplitError(message: "unterminated '{{' in template") }
            result.append(Token(text: text, range: start..<index))
        }
        return result
    }

    /// `key=value` when the part before `=` is a plain identifier.
    public static func keyValue(_ token: String) -> (key: String, value: String)? {
        guard let eq = token.firstIndex(of: "=") else { return nil }
        let key = token[..<eq]
        guard VariableName.isValid(String(key)) else { return nil }
        return (String(key), String(token[token.index(after: eq)...]))
    }
}
