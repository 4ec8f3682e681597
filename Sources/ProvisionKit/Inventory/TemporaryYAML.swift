import Foundation
import Yams

// Stand-in until the playbook layer's YAMLDocument lands; same shape.
public struct LocatedValue: Sendable {
    public var value: Value
    public var location: SourceLocation
    public var children: [String: LocatedValue]
    public func child(_ key: String) -> LocatedValue? { children[key] }
}

public enum YAMLDocument {
    public static func loadLocated(path: String) throws -> LocatedValue {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw InputError("cannot read \(path)")
        }
        do {
            guard let node = try Yams.compose(yaml: text) else {
                return LocatedValue(value: .null, location: SourceLocation(file: path, line: 1), children: [:])
            }
            return convert(node, file: path)
        } catch let error as YamlError {
            throw InputError("YAML syntax error: \(error)", at: SourceLocation(file: path, line: 1))
        }
    }

    static func convert(_ node: Node, file: String) -> LocatedValue {
        let location = SourceLocation(file: file, line: (node.mark?.line ?? 0), column: node.mark?.column ?? 1)
        switch node {
        case .scalar(let scalar):
            let value: Value
            if scalar.style == .plain {
                if let b = Bool.construct(from: scalar) { value = .bool(b) }
                else if let i = Int.construct(from: scalar) { value = .int(i) }
                else if scalar.string == "~" || scalar.string == "null" || scalar.string.isEmpty { value = .null }
                else { value = .string(scalar.string) }
            } else { value = .string(scalar.string) }
            return LocatedValue(value: value, location: location, children: [:])
        case .mapping(let mapping):
            var children: [String: LocatedValue] = [:]
            var dict: [String: Value] = [:]
            for (k, v) in mapping {
                let key = k.string ?? ""
                let c = convert(v, file: file)
                children[key] = c
                dict[key] = c.value
            }
            return LocatedValue(value: .dict(dict), location: location, children: children)
        case .sequence(let seq):
            var children: [String: LocatedValue] = [:]
            var list: [Value] = []
            for (i, v) in seq.enumerated() {
                let c = convert(v, file: file)
                children[String(i)] = c
                list.append(c.value)
            }
            return LocatedValue(value: .list(list), location: location, children: children)
        case .alias:
            return LocatedValue(value: .null, location: location, children: [:])
        }
    }
}
