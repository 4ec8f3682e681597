import ProvisionCore

/// Which variables a template or expression reads, for `validate`.
public struct VariableReference: Sendable, Equatable {
    public var name: String
    /// Line within the text (1 = first line).
    public var line: Int
}

public struct TemplateReferences: Sendable {
    /// Names read without a guard, in order of appearance.
    public var references: [VariableReference] = []
    /// Names tested with `is defined`/`is undefined` anywhere: reading them elsewhere is fine.
    public var guarded: Set<String> = []

    public mutating func merge(_ other: TemplateReferences) {
        references += other.references
        guarded.formUnion(other.guarded)
    }

    /// References to names neither known nor guarded.
    public func unknown(given known: Set<String>) -> [VariableReference] {
        references.filter { !known.contains($0.name) && !guarded.contains($0.name) }
    }
}

extension TemplateEngine {
    /// Variables `text` (a template) reads. Throws the template's syntax errors.
    public static func references(inTemplate text: String, origin: SourceLocation? = nil) throws -> TemplateReferences {
        let compiled = try compile(text, origin: origin)
        var walker = ReferenceWalker()
        walker.walk(compiled.nodes, line: 1)
        return walker.result
    }

    /// Variables a `when:` expression reads.
    public static func references(inCondition expression: String, origin: SourceLocation? = nil) throws -> TemplateReferences {
        let expr = try compileCondition(expression, origin: origin)
        var walker = ReferenceWalker()
        walker.walk(expr, line: 1, guarded: false)
        return walker.result
    }
}

struct ReferenceWalker {
    var result = TemplateReferences()
    var bound: [Set<String>] = [["loop"]]

    func isBound(_ name: String) -> Bool { bound.contains { $0.contains(name) } }

    mutating func walk(_ nodes: [TemplateNode], line: Int) {
        for node in nodes {
            switch node {
            case .text: break
            case .output(let e, let l): walk(e, line: l, guarded: false)
            case .conditional(let branches, let elseBody):
                for b in branches {
                    walk(b.condition, line: b.line, guarded: false)
                    walk(b.body, line: b.line)
                }
                if let elseBody { walk(elseBody, line: line) }
            case .loop(let names, let iterable, let body, let elseBody, let l):
                walk(iterable, line: l, guarded: false)
                bound.append(Set(names))
                walk(body, line: l)
                bound.removeLast()
                if let elseBody { walk(elseBody, line: l) }
            case .assign(let names, let e, let l):
                walk(e, line: l, guarded: false)
                bound[bound.count - 1].formUnion(names)
            }
        }
    }

    static func root(_ e: Expr) -> String? {
        switch e {
        case .name(let n): return n
        case .attribute(let b, _), .index(let b, _): return root(b)
        default: return nil
        }
    }

    mutating func walk(_ e: Expr, line: Int, guarded: Bool) {
        switch e {
        case .literal: break
        case .name(let n):
            if isBound(n) || n == "omit" { return }
            if guarded { result.guarded.insert(n) } else { result.references.append(VariableReference(name: n, line: line)) }
        case .list(let items): items.forEach { walk($0, line: line, guarded: guarded) }
        case .dict(let entries):
            for entry in entries {
                walk(entry.key, line: line, guarded: guarded)
                walk(entry.value, line: line, guarded: guarded)
            }
        case .attribute(let b, _): walk(b, line: line, guarded: guarded)
        case .index(let b, let k):
            walk(b, line: line, guarded: guarded)
            walk(k, line: line, guarded: false)
        case .call(let callee, let args):
            if case .attribute(let b, _) = callee { walk(b, line: line, guarded: guarded) }
            // lookup('file', …) reads files beside the playbook: it depends on playbook_dir.
            if case .name(let n) = callee, TemplateLookup.functionNames.contains(n) { walk(.name("playbook_dir"), line: line, guarded: false) }
            args.forEach { walk($0, line: line, guarded: false) }
        case .filter(let b, let name, let args, let kwargs):
            walk(b, line: line, guarded: guarded || name == "default" || name == "d")
            args.forEach { walk($0, line: line, guarded: false) }
            kwargs.values.forEach { walk($0, line: line, guarded: false) }
        case .test(let b, let name, _, let args):
            if name == "defined" || name == "undefined", let r = ReferenceWalker.root(b) {
                if !isBound(r) { result.guarded.insert(r) }
            } else {
                walk(b, line: line, guarded: guarded)
            }
            args.forEach { walk($0, line: line, guarded: false) }
        case .not(let x), .negate(let x): walk(x, line: line, guarded: guarded)
        case .and(let a, let b), .or(let a, let b), .binary(_, let a, let b):
            walk(a, line: line, guarded: guarded)
            walk(b, line: line, guarded: guarded)
        case .conditional(let v, let c, let o):
            walk(v, line: line, guarded: guarded)
            walk(c, line: line, guarded: guarded)
            if let o { walk(o, line: line, guarded: guarded) }
        }
    }
}
