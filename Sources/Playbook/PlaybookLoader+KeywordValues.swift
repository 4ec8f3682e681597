import Foundation
import ProvisionCore

/// The loader's readers of keyword values (`become_user`, `tags`, `retries`, `environment`,
/// `when`, `vars`, …): each checks the YAML node's type and says, with file:line, what it
/// must be instead.
extension PlaybookLoader.Loader {

    func string(_ node: LocatedValue, _ what: String) throws -> String {
        guard case .scalar(let v) = node.content, v != .null, let s = v.stringValue else {
            throw InputError("\(what) must be a string, not a \(node.kindName)", at: node.location)
        }
        return s
    }

    /// `become_user:` root only: every transport's `become` is `sudo -n` to root, and running a
    /// task as root that the playbook meant for a less privileged user would be worse than
    /// refusing it.
    func becomeUser(_ node: LocatedValue) throws -> String {
        let user = try string(node, "become_user")
        guard user == "root" else {
            throw InputError("become_user: \(user) is not supported yet: become runs tasks as root", at: node.location,
                             hint: "drop become_user, or run that command as the user: `command: runuser -u \(TemplateEngine.isTemplate(user) ? "USER" : user) -- CMD`")
        }
        return user
    }

    /// `tags: [a, b]` or `tags: a,b`.
    func tagList(_ node: LocatedValue) throws -> [String] {
        try stringList(node, "tags").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A whole number in `range`, written as a number or a numeric string.
    func count(_ node: LocatedValue, _ what: String, in range: ClosedRange<Int>) throws -> Int {
        let value: Int?
        switch node.value {
        case .int(let i): value = i
        case .string(let s): value = Int(s.trimmingCharacters(in: .whitespaces))
        default: value = nil
        }
        guard let value, range.contains(value) else {
            throw InputError("\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound)", at: node.location)
        }
        return value
    }

    /// `environment:` a mapping of variable names (as a shell accepts them) to values.
    func environment(_ node: LocatedValue) throws -> [String: Value] {
        guard let entries = node.entries else {
            throw InputError("environment must be a mapping of variable names to values", at: node.location)
        }
        var result: [String: Value] = [:]
        for e in entries {
            guard VariableName.isShellName(e.key) else {
                throw InputError("environment: '\(e.key)' is not a variable name", at: e.keyLocation,
                                 hint: "letters, digits and _, not starting with a digit")
            }
            result[e.key] = e.value.value
        }
        return result
    }

    func identifier(_ node: LocatedValue, _ what: String) throws -> String {
        let s = try string(node, what)
        guard VariableName.isValid(s) else {
            throw InputError("\(what) must be a variable name (letters, digits, _), not '\(s)'", at: node.location)
        }
        return s
    }

    func bool(_ node: LocatedValue, _ what: String) throws -> Bool {
        switch node.content {
        case .scalar(.bool(let b)): return b
        case .scalar(.string(let s)):
            if let b = YAMLDocument.plainBool(s.trimmingCharacters(in: .whitespaces)) { return b }
        case .scalar(.int(let i)) where i == 0 || i == 1: return i == 1
        default: break
        }
        throw InputError("\(what) must be a boolean (yes/no), not '\(node.value.text)'", at: node.location)
    }

    func stringList(_ node: LocatedValue, _ what: String) throws -> [String] {
        switch node.content {
        case .scalar(.null): return []
        case .scalar(let v) where v.stringValue != nil: return [v.text]
        case .list(let items):
            return try items.map { item in
                guard case .scalar(let v) = item.content, v != .null, v.stringValue != nil else {
                    throw InputError("\(what) must be a list of strings, found a \(item.kindName)", at: item.location)
                }
                return v.text
            }
        default:
            throw InputError("\(what) must be a string or a list of strings, not a \(node.kindName)", at: node.location)
        }
    }

    func conditions(_ node: LocatedValue) throws -> [String] {
        func one(_ item: LocatedValue) throws -> String {
            switch item.content {
            case .scalar(.bool(let b)): return b ? "True" : "False"
            case .scalar(.string(let s)) where !s.trimmingCharacters(in: .whitespaces).isEmpty: return s
            case .scalar(.int(let i)): return String(i)
            default:
                throw InputError("when must be an expression or a list of expressions, not a \(item.kindName)",
                                 at: item.location)
            }
        }
        if let items = node.items { return try items.map(one) }
        return [try one(node)]
    }

    func variables(_ node: LocatedValue, what: String) throws -> ([String: Value], [String: SourceLocation]) {
        if node.isNull { return ([:], [:]) }
        guard let entries = node.entries else {
            throw InputError("\(what) must be a mapping of names to values, not a \(node.kindName)", at: node.location)
        }
        var values: [String: Value] = [:]
        var locations: [String: SourceLocation] = [:]
        for e in entries {
            guard VariableName.isValid(e.key) else {
                throw InputError("invalid variable name '\(e.key)'", at: e.keyLocation,
                                 hint: "variable names use letters, digits and _, and do not start with a digit")
            }
            values[e.key] = e.value.value
            locations[e.key] = e.value.location
        }
        return (values, locations)
    }

    /// `serial:` a count, a percentage, or a list of them (batch sizes in turn).
    func serial(_ node: LocatedValue) throws -> [BatchSize] {
        func size(_ item: LocatedValue) throws -> BatchSize {
            guard case .scalar(let value) = item.content, let text = value.stringValue else {
                throw InputError("serial must be a number of hosts, a percentage or a list of them, not a \(item.kindName)", at: item.location)
            }
            if TemplateEngine.isTemplate(text) {
                throw InputError("serial: a template is not supported here", at: item.location, hint: "give the batch size itself, e.g. serial: 2 or serial: 30%")
            }
            return try BatchSize(parsing: text, what: "serial", at: item.location)
        }
        if let items = node.items {
            guard !items.isEmpty else { throw InputError("serial: the list of batch sizes is empty", at: node.location) }
            return try items.map(size)
        }
        return [try size(node)]
    }

    /// `remote_user:` a login name (checked as the system's tools check user names).
    func remoteUser(_ node: LocatedValue) throws -> String {
        let name = try string(node, "remote_user")
        if TemplateEngine.isTemplate(name) {
            throw InputError("remote_user: a template is not supported here", at: node.location,
                             hint: "give the user itself, or set ansible_user in the inventory")
        }
        if let problem = NameRules.problem(name, as: .user) {
            throw InputError("remote_user '\(name)' \(problem)", at: node.location)
        }
        return name
    }

    /// `connection:` `local` (the controller), or `ssh` / `smart` (the default).
    func connectionIsLocal(_ node: LocatedValue) throws -> Bool {
        switch try string(node, "connection") {
        case "local": return true
        case "ssh", "smart": return false
        case let other:
            throw InputError("connection '\(other)' is not supported", at: node.location,
                             hint: "use ssh (the default) or local (run the play on this machine)")
        }
    }
}
