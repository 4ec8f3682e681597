import ProvisionCore

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
