import Foundation
import ProvisionCore

/// Rendered template text; `containsSecret` when a secret value went into it.
public struct Rendered: Sendable, Equatable {
    public var text: String
    public var containsSecret: Bool

    public init(text: String, containsSecret: Bool) {
        self.text = text
        self.containsSecret = containsSecret
    }

    /// The text as a value: `.secret` when a secret went into it.
    public var value: Value { containsSecret ? .secret(Secret(text)) : .string(text) }
}

/// Jinja2-subset templates and `when:` expressions, one evaluator for both.
///
/// Supported: `{{ expr }}`, `{% if/elif/else/endif %}`, `{% for x in xs %}…{% else %}…{% endfor %}`
/// with `loop.index`/`index0`/`first`/`last`/`length`, `{% set x = … %}`, `{% raw %}`, `{# #}`,
/// whitespace control `{%- -%}` `{{- -}}`, and Ansible's `trim_blocks` (the newline after a
/// block tag is dropped). See `TemplateBuiltins` for filters and tests.
public enum TemplateEngine {
    // MARK: Public API

    /// Renders `text`. `origin` is where the text comes from (a template file at line 1, or a
    /// task argument): errors are reported at origin's file, origin.line + line within text - 1.
    public static func render(_ text: String, variables: VariableScope, origin: SourceLocation? = nil) throws -> Rendered {
        let compiled = try compile(text, origin: origin)
        if compiled.isPlainText { return Rendered(text: text, containsSecret: false) }
        let evaluator = Evaluator(resolver: Resolver(scope: variables), origin: origin)
        let out = try evaluator.render(compiled.nodes)
        return Rendered(text: out, containsSecret: evaluator.touchedSecret)
    }

    public static func render(_ text: String, variables: [String: Value], origin: SourceLocation? = nil) throws -> Rendered {
        try render(text, variables: VariableScope(variables), origin: origin)
    }

    /// Templates every string inside `value` (through lists and dicts). A string that is a
    /// single `{{ expr }}` becomes the value itself (a list stays a list, a secret a secret);
    /// a rendered string that took in a secret becomes `.secret`.
    public static func renderValue(_ value: Value, variables: VariableScope, origin: SourceLocation? = nil) throws -> Value {
        try renderValue(value, resolver: Resolver(scope: variables), origin: origin)
    }

    public static func renderValue(_ value: Value, variables: [String: Value], origin: SourceLocation? = nil) throws -> Value {
        try renderValue(value, variables: VariableScope(variables), origin: origin)
    }

    /// A `when:` condition: a bare expression (`{{ }}` around it is tolerated).
    public static func evaluateCondition(_ expression: String, variables: VariableScope, origin: SourceLocation? = nil) throws -> Bool {
        let expr = try compileCondition(expression, origin: origin)
        let evaluator = Evaluator(resolver: Resolver(scope: variables), origin: origin)
        return try evaluator.evaluate(expr).isTruthy
    }

    public static func evaluateCondition(_ expression: String, variables: [String: Value], origin: SourceLocation? = nil) throws -> Bool {
        try evaluateCondition(expression, variables: VariableScope(variables), origin: origin)
    }

    /// Whether `text` contains template syntax at all.
    /// What `omit` renders to: a parameter whose value is this is left out (`default(omit)`).
    public static let omitPlaceholder = "__omit_place_holder__provision__"

    public static func isTemplate(_ text: String) -> Bool {
        text.contains("{{") || text.contains("{%") || text.contains("{#")
    }

    /// Checks syntax only (for `validate`).
    public static func checkSyntax(_ text: String, origin: SourceLocation? = nil) throws {
        _ = try compile(text, origin: origin)
    }

    // MARK: Internals

    static func evaluate(_ expr: Expr, scope: VariableScope, origin: SourceLocation?) throws -> Value {
        let evaluator = Evaluator(resolver: Resolver(scope: scope), origin: origin)
        let v = try evaluator.evaluate(expr)
        return evaluator.touchedSecret && !v.containsSecret ? secretWrap(v) : v
    }

    static func secretWrap(_ v: Value) -> Value {
        switch v {
        case .string(let s): return .secret(Secret(s))
        default: return v
        }
    }

    static func renderValue(_ value: Value, resolver: Resolver, origin: SourceLocation?) throws -> Value {
        switch value {
        case .string(let s):
            guard isTemplate(s) else { return value }
            let compiled = try compile(s, origin: origin)
            let evaluator = Evaluator(resolver: resolver, origin: origin)
            if let single = compiled.singleExpression {
                let v = try evaluator.evaluate(single)
                return evaluator.touchedSecret ? secretWrap(v) : v
            }
            let text = try evaluator.render(compiled.nodes)
            return evaluator.touchedSecret ? .secret(Secret(text)) : .string(text)
        case .list(let items):
            return .list(try items.map { try renderValue($0, resolver: resolver, origin: origin) })
        case .dict(let d):
            return .dict(try d.mapValues { try renderValue($0, resolver: resolver, origin: origin) })
        default:
            return value
        }
    }

    package static func location(_ origin: SourceLocation?, line: Int) -> SourceLocation? {
        guard var l = origin else { return nil }
        l.line += line - 1
        if line > 1 { l.column = 1 }
        return l
    }

    static func compile(_ text: String, origin: SourceLocation?) throws -> CompiledTemplate {
        if let cached = cache.template(text) { return cached }
        do {
            let compiled = try TemplateParser.compile(text)
            cache.store(text, compiled)
            return compiled
        } catch {
            throw InputError("template syntax error: \(error.message)", at: location(origin, line: error.line), hint: error.hint)
        }
    }

    static func compileCondition(_ expression: String, origin: SourceLocation?) throws -> Expr {
        var text = expression.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("{{"), text.hasSuffix("}}"), text.count >= 4 {
            text = String(text.dropFirst(2).dropLast(2))
        }
        if let cached = cache.condition(text) { return cached }
        do {
            let e = try TemplateParser.compileExpression(text)
            cache.store(condition: text, e)
            return e
        } catch {
            // One line, whatever the YAML made of it (`when: >` or `|` over several lines).
            let shown = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
            throw InputError("syntax error in condition '\(shown)': \(error.message)", at: location(origin, line: error.line), hint: error.hint)
        }
    }

    static let cache = CompiledCache()
}

/// Compiled templates by text, shared by every host and task. Thread-safe.
final class CompiledCache: @unchecked Sendable {
    private let lock = NSLock()
    private var templates: [String: CompiledTemplate] = [:]
    private var conditions: [String: Expr] = [:]
    private let limit = 20_000

    func template(_ text: String) -> CompiledTemplate? {
        lock.lock(); defer { lock.unlock() }
        return templates[text]
    }

    func store(_ text: String, _ compiled: CompiledTemplate) {
        lock.lock(); defer { lock.unlock() }
        if templates.count >= limit { templates.removeAll(keepingCapacity: true) }
        templates[text] = compiled
    }

    func condition(_ text: String) -> Expr? {
        lock.lock(); defer { lock.unlock() }
        return conditions[text]
    }

    func store(condition text: String, _ e: Expr) {
        lock.lock(); defer { lock.unlock() }
        if conditions.count >= limit { conditions.removeAll(keepingCapacity: true) }
        conditions[text] = e
    }

    var count: Int {
        lock.lock(); defer { lock.unlock() }
        return templates.count
    }
}

/// Looks variables up in a scope, rendering templated values once, with a cycle check.
/// One per render call (not shared between threads).
final class Resolver {
    let scope: VariableScope
    private var resolved: [String: Value] = [:]
    private var resolving: [String] = []

    init(scope: VariableScope) { self.scope = scope }

    /// nil when undefined.
    func lookup(_ name: String) throws -> Value? {
        if let v = resolved[name] { return v }
        guard let entry = scope.entry(name) else { return nil }
        // A secret's value is read as a secret, whatever layer it comes from (SecretNames).
        guard entry.templated, entry.value.hasTemplate else {
            let sealed = SecretNames.shared.seal(name, entry.value)
            resolved[name] = sealed
            return sealed
        }
        if let start = resolving.firstIndex(of: name) {
            let through = resolving[(start + 1)...]
            throw InputError(through.isEmpty ? "variable '\(name)' refers to itself"
                                : "variable '\(name)' refers to itself through \(through.joined(separator: ", "))",
                             at: entry.location)
        }
        resolving.append(name)
        defer { resolving.removeLast() }
        let v: Value
        do {
            v = try TemplateEngine.renderValue(entry.value, resolver: self, origin: entry.location)
        } catch var error as InputError {
            if error.location == nil, !error.message.hasPrefix("variable '"), !error.message.contains("(in variable '") {
                error.message += " (in variable '\(name)')"
            }
            throw error
        }
        let sealed = SecretNames.shared.seal(name, v)
        resolved[name] = sealed
        return sealed
    }
}

extension Value {
    /// Whether a string inside this value contains template syntax.
    package var hasTemplate: Bool {
        switch self {
        case .string(let s): return TemplateEngine.isTemplate(s)
        case .list(let l): return l.contains { $0.hasTemplate }
        case .dict(let d): return d.values.contains { $0.hasTemplate }
        default: return false
        }
    }
}

extension TemplateEngine {
    /// A task's `loop:`/`with_items:` as items: a literal list (its strings templated) or a
    /// template that must give a list.
    public static func loopItems(_ loop: Value, variables: VariableScope, origin: SourceLocation? = nil) throws -> [Value] {
        let v = try renderValue(loop, variables: variables, origin: origin)
        switch v {
        case .list(let items): return items
        case .null: return []
        default:
            throw InputError("loop must give a list, but it gave a \(v.kindName)", at: origin,
                             hint: "e.g. loop: \"{{ packages }}\" where packages is a list")
        }
    }

    /// All of a task's `when:` conditions hold (evaluated in order, stopping at the first false one).
    public static func evaluateConditions(_ conditions: [String], variables: VariableScope, origin: SourceLocation? = nil) throws -> Bool {
        for c in conditions where !(try evaluateCondition(c, variables: variables, origin: origin)) { return false }
        return true
    }
}
