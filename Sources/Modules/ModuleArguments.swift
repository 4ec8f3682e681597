import Foundation
import ProvisionCore

/// A task's arguments after templating, with typed accessors that fail with the
/// parameter's name and location.
public struct ModuleArguments: Sendable {
    public var values: [String: Value]
    public var locations: [String: SourceLocation]
    public var taskLocation: SourceLocation?
    public var module: String
    /// Where the task's controller files are looked for (`ControllerFiles`): the play's
    /// directory and the task's role, when the planner knows them.
    public var baseDirectory: String? = nil
    public var roleDirectory: String? = nil
    /// The module's parameters, as its spec declares them (set when the spec makes the module).
    var declared: [ParameterSpec] = []

    /// The declared parameter `name` (from the registry when made without its spec, as tests do).
    func declaredParameter(_ name: String) -> ParameterSpec? {
        let parameters = declared.isEmpty ? (ModuleRegistry.spec(named: module)?.parameters ?? []) : declared
        return parameters.first { $0.name == name }
    }

    public init(module: String, values: [String: Value], locations: [String: SourceLocation] = [:], taskLocation: SourceLocation? = nil) {
        self.module = module
        self.values = values
        self.locations = locations
        self.taskLocation = taskLocation
    }

    func error(_ name: String, _ message: String) -> InputError {
        InputError("\(module): parameter '\(name)' \(message)", at: locations[name] ?? taskLocation)
    }

    public func has(_ name: String) -> Bool {
        if let v = values[name], v != .null { return true }
        return false
    }

    public func string(_ name: String) throws -> String? {
        guard let v = values[name], v != .null else { return nil }
        switch v {
        case .list, .dict: throw error(name, "must be a string, not a \(v.kindName)")
        default: return v.text
        }
    }

    public func requiredString(_ name: String) throws -> String {
        guard let s = try string(name), !s.isEmpty else { throw error(name, "is required") }
        return s
    }

    public func secret(_ name: String) throws -> Secret? {
        guard let v = values[name], v != .null else { return nil }
        if case .secret(let s) = v { return s }
        return Secret(try string(name) ?? "")
    }

    public func bool(_ name: String, default defaultValue: Bool) throws -> Bool {
        guard let v = values[name], v != .null else { return defaultValue }
        switch v {
        case .bool(let b): return b
        case .string(let s):
            switch s.lowercased() {
            case "yes", "true", "on", "1": return true
            case "no", "false", "off", "0": return false
            default: throw error(name, "must be a boolean (yes/no), not '\(s)'")
            }
        case .int(let i) where i == 0 || i == 1: return i == 1
        default: throw error(name, "must be a boolean (yes/no), not a \(v.kindName)")
        }
    }

    public func int(_ name: String) throws -> Int? {
        guard let v = values[name], v != .null else { return nil }
        switch v {
        case .int(let i): return i
        case .string(let s):
            if let i = Int(s.trimmingCharacters(in: .whitespaces)) { return i }
            throw error(name, "must be an integer, not '\(s)'")
        default: throw error(name, "must be an integer, not a \(v.kindName)")
        }
    }

    /// A list, also accepting a comma-separated string as Ansible does.
    public func list(_ name: String) throws -> [String]? {
        guard let v = values[name], v != .null else { return nil }
        switch v {
        case .list(let items): return items.map(\.text)
        case .string(let s):
            return s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        default: throw error(name, "must be a list, not a \(v.kindName)")
        }
    }

    /// A bool parameter with the default its spec declares (false when it declares none).
    public func bool(_ name: String) throws -> Bool {
        if case .bool(let declaredDefault)? = declaredParameter(name)?.defaultValue {
            return try bool(name, default: declaredDefault)
        }
        return try bool(name, default: false)
    }

    /// A parameter with the choices and the default its spec declares.
    public func choice(_ name: String) throws -> String {
        let parameter = declaredParameter(name)
        return try choice(name, parameter?.choices ?? [], default: parameter?.defaultValue?.text ?? "")
    }

    /// A parameter with the choices its spec declares and a default the module computes
    /// from other parameters (the `file` module's state follows `recurse` and `src`).
    public func choice(_ name: String, default computed: String) throws -> String {
        try choice(name, declaredParameter(name)?.choices ?? [], default: computed)
    }

    public func choice(_ name: String, _ choices: [String], default defaultValue: String) throws -> String {
        guard let s = try string(name) else { return defaultValue }
        guard choices.contains(s) else {
            throw error(name, "must be one of \(choices.joined(separator: ", ")), not '\(s)'")
        }
        return s
    }

    /// A file mode. Strings are octal (`'0644'`, `'644'`); YAML ints written as 0644 arrive
    /// as octal-looking decimals, read as octal digits, as Ansible does for quoted modes.
    public func mode(_ name: String) throws -> Int? {
        guard let v = values[name], v != .null else { return nil }
        let digits: String
        switch v {
        case .int(let i): digits = String(i)
        case .string(let s): digits = s
        default: throw error(name, "must be an octal mode like '0644'")
        }
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ ("0"..."7").contains($0) }),
              let mode = Int(digits, radix: 8), mode <= 0o7777
        else { throw error(name, "must be an octal mode like '0644', not '\(digits)'") }
        return mode
    }
}
