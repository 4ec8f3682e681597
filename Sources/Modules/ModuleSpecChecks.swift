import Foundation
import Playbook
import ProvisionCore

/// A task's arguments against its module's spec: the one code path `validate`, the
/// preflight and the run go through.
extension ModuleSpec {
    /// Every problem of `arguments`, in the task's order: unknown parameters (with a
    /// suggestion), wrong kinds, bad choices, missing required ones, conflicting ones.
    /// Values still holding a template are checked once rendered.
    public func problems(in arguments: ModuleArguments) -> [InputError] {
        var problems: [InputError] = []
        let module = arguments.module
        let values = arguments.values
        for key in arguments.orderedKeys {
            let at = arguments.locations[key] ?? arguments.taskLocation
            guard let parameter = parameter(named: key) else {
                if setsVariablesFromKeys {
                    if !VariableName.isValid(key) {
                        problems.append(InputError("\(module): '\(key)' is not a valid variable name", at: at,
                                                   hint: "a name is letters, digits and _, not starting with a digit"))
                    }
                    continue
                }
                problems.append(InputError("\(module): unknown parameter '\(key)'", at: at,
                                           hint: Suggestions.hint(for: key, in: parameterNames)
                                               ?? "\(module) takes: \(parameters.map(\.name).joined(separator: ", "))"))
                continue
            }
            let value = values[key]!
            if value == .null || value.hasTemplate { continue }
            do {
                try check(value, of: parameter, as: key, in: arguments)
            } catch var error as InputError {
                if parameter.secret, let text = value.stringValue, !text.isEmpty {
                    error.message = error.message.replacingOccurrences(of: text, with: "********")
                }
                problems.append(error)
            } catch {}
        }
        func given(_ name: String) -> Bool {
            (parameter(named: name)?.names ?? [name]).contains { values[$0] != nil }
        }
        for parameter in parameters where parameter.required && !given(parameter.name) {
            problems.append(InputError("\(module): missing required parameter '\(parameter.name)'", at: arguments.taskLocation))
        }
        for group in requiredOneOf where !group.contains(where: given) {
            problems.append(InputError(group.count == 1 ? "\(module): missing required parameter '\(group[0])'"
                                           : "\(module): one of \(group.map { "'\($0)'" }.joined(separator: ", ")) is required",
                                       at: arguments.taskLocation))
        }
        for group in mutuallyExclusive {
            let present = group.filter { name in (parameter(named: name)?.names ?? [name]).contains { arguments.has($0) } }
            if present.count > 1 {
                let at = parameter(named: present[1])?.names.lazy.compactMap { arguments.locations[$0] }.first ?? arguments.taskLocation
                problems.append(InputError("\(module): parameter '\(present[1])' cannot be given together with '\(present[0])'", at: at))
            }
        }
        return problems
    }

    /// `arguments` with every alias renamed to its parameter (the parameter's own name wins
    /// when both are given) and declared defaults filled in.
    static func normalized(_ arguments: ModuleArguments, _ parameters: [ParameterSpec]) -> ModuleArguments {
        var result = arguments
        result.declared = parameters
        for parameter in parameters {
            for alias in parameter.aliases {
                guard let value = result.values.removeValue(forKey: alias) else { continue }
                let location = result.locations.removeValue(forKey: alias)
                if result.values[parameter.name] == nil || result.values[parameter.name] == .null {
                    result.values[parameter.name] = value
                    if let location { result.locations[parameter.name] = location }
                }
            }
            if let defaultValue = parameter.defaultValue, !result.has(parameter.name) {
                result.values[parameter.name] = defaultValue
            }
        }
        return result
    }

    func check(_ value: Value, of parameter: ParameterSpec, as key: String, in arguments: ModuleArguments) throws {
        switch parameter.kind {
        case .bool: _ = try arguments.bool(key, default: false)
        case .int: _ = try arguments.int(key)
        case .list: _ = try arguments.list(key)
        case .string: _ = try arguments.string(key)
        case .dict:
            if value.dictValue == nil {
                throw arguments.error(key, "must be a mapping, not a \(value.kindName)")
            }
        case .mode:
            if case .string(let s) = value, Self.isSymbolicMode(s) { break }
            _ = try arguments.mode(key)
        case .any: break
        }
        if let choices = parameter.choices {
            let text = value.stringValue ?? ""
            if !choices.contains(text) {
                throw InputError("\(arguments.module): parameter '\(key)' must be one of \(choices.joined(separator: ", ")), not '\(value.text)'",
                                 at: arguments.locations[key] ?? arguments.taskLocation, hint: Suggestions.hint(for: text, in: choices))
            }
        }
    }

    /// `u=rw,g=r,o=` and friends.
    static func isSymbolicMode(_ s: String) -> Bool {
        let clause = #"[ugoa]*[-+=][rwxXst]*"#
        return s.range(of: "^\(clause)(,\(clause))*$", options: .regularExpression) != nil
    }
}

extension ModuleArguments {
    /// Keys in the order the task wrote them (line, column, then name).
    var orderedKeys: [String] {
        values.keys.sorted { a, b in
            let la = locations[a], lb = locations[b]
            if la?.line != lb?.line { return (la?.line ?? 0) < (lb?.line ?? 0) }
            if la?.column != lb?.column { return (la?.column ?? 0) < (lb?.column ?? 0) }
            return a < b
        }
    }
}
