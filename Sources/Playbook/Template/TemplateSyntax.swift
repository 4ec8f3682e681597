import ProvisionCore

/// The compiled form of a Jinja2-subset template: parsed once, evaluated many times.

indirect enum Expr: Sendable {
    case literal(Value)
    case name(String)
    case list([Expr])
    case dict([DictEntry])
    case attribute(Expr, String)
    case index(Expr, Expr)
    /// A function or method call: `range(3)`, `x.startswith('a')`, `d.items()`.
    case call(Expr, [Expr])
    case filter(Expr, String, [Expr], [String: Expr])
    case test(Expr, String, negated: Bool, [Expr])
    case not(Expr)
    case negate(Expr)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case binary(BinaryOperator, Expr, Expr)
    /// `a if cond else b`
    case conditional(Expr, Expr, Expr?)
}

struct DictEntry: Sendable {
    var key: Expr
    var value: Expr
}

enum BinaryOperator: String, Sendable {
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case `in` = "in", notIn = "not in"
    case add = "+", sub = "-", mul = "*", div = "/", floorDiv = "//", mod = "%", pow = "**"
    case concat = "~"
}

indirect enum TemplateNode: Sendable {
    case text(String)
    case output(Expr, line: Int)
    case conditional([ConditionalBranch], elseBody: [TemplateNode]?)
    case loop(variables: [String], iterable: Expr, body: [TemplateNode], elseBody: [TemplateNode]?, line: Int)
    case assign(names: [String], Expr, line: Int)
}

struct ConditionalBranch: Sendable {
    var condition: Expr
    var body: [TemplateNode]
    var line: Int
}

/// A parsed template. `singleExpression` is set when the whole text is one `{{ expr }}`,
/// so `renderValue` can return the value itself (a list stays a list, an int an int).
struct CompiledTemplate: Sendable {
    var nodes: [TemplateNode]
    var singleExpression: Expr?
    var isPlainText: Bool
}

/// A syntax error inside a template, at a line counted from the template's first line (1).
struct TemplateSyntaxError: Error, Sendable {
    var message: String
    var line: Int
    var hint: String?
}

// MARK: - Tokens

enum Token: Sendable, Equatable {
    case name(String)
    case string(String)
    case int(Int)
    case double(Double)
    case op(String)
    /// `}}`, `%}` (with whether `-` asked to strip what follows)
    case end(stripAfter: Bool)
}

struct LocatedToken: Sendable {
    var token: Token
    var line: Int
}

/// Filters and tests the engine knows; used at parse time so typos fail early with a hint.
enum TemplateBuiltins {
    static let filters: Set<String> = [
        "e", "escape",
        "default", "d", "lower", "upper", "trim", "int", "float", "bool", "string", "length", "count",
        "join", "replace", "to_json", "to_nice_json", "quote", "php_string", "b64encode", "b64decode",
        "basename", "dirname", "regex_replace", "regex_escape", "mandatory", "first", "last", "list",
        "sort", "unique", "capitalize", "abs", "min", "max", "sum", "ternary", "combine", "dict2items",
        "comment",
        "map", "select", "reject", "selectattr", "rejectattr", "flatten", "items2dict", "zip", "zip_longest",
        "subelements", "split", "regex_search", "regex_findall", "to_yaml", "to_nice_yaml", "from_json",
        "from_yaml", "password_hash",
    ]
    static let tests: Set<String> = [
        "defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "sequence",
        "iterable", "boolean", "true", "false", "changed", "failed", "succeeded", "success", "skipped",
        "eq", "equalto", "ne", "lt", "le", "gt", "ge", "in", "match", "search", "odd", "even",
        "divisibleby", "lower", "upper",
        "==", "!=", "<", "<=", ">", ">=",
        "successful", "regex", "version", "version_compare", "contains", "subset", "superset", "truthy", "falsy",
    ]
    /// The arguments a test takes by keyword, in their positions (`version('1.9', operator='>')`).
    static let testKeywords: [String: [String]] = [
        "version": ["version", "operator", "strict", "version_type"],
        "version_compare": ["version", "operator", "strict", "version_type"],
    ]
    static let functions: Set<String> = Set(["range", "dict"]).union(TemplateLookup.functionNames)
}
