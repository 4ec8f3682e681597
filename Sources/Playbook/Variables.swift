import Foundation
import ProvisionCore

/// Where a layer of variables ranks; higher wins. The one table of the order, low -> high:
/// role defaults < playbook defaults (`group_vars/all.yml` beside the playbook) < inventory
/// `all` < parent groups < child groups < host vars < facts < play `vars` < play
/// `vars_files` < role vars < task `vars` < registered results < role parameters < loop
/// variable < secrets < extra vars (`-e`) < magic variables. The roles' places are Ansible's.
public struct VariablePrecedence: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var rank: Int
    public var name: String

    public init(rank: Int, name: String) {
        self.rank = rank
        self.name = name
    }

    /// A role's `defaults/main.yml`: Ansible's lowest layer.
    public static let roleDefaults = VariablePrecedence(rank: 40, name: "role defaults")
    public static let playbookDefaults = VariablePrecedence(rank: 50, name: "playbook defaults (group_vars/all.yml)")
    public static let inventoryAll = VariablePrecedence(rank: 100, name: "inventory group 'all'")
    /// A group's vars; `depth` is its distance from `all` (1 for a top-level group), so a
    /// child group (deeper) wins over its parent.
    public static func inventoryGroup(depth: Int) -> VariablePrecedence {
        VariablePrecedence(rank: 200 + min(max(depth, 1), 99), name: "inventory group vars (depth \(depth))")
    }
    public static let host = VariablePrecedence(rank: 400, name: "host vars")
    public static let facts = VariablePrecedence(rank: 500, name: "facts")
    public static let play = VariablePrecedence(rank: 600, name: "play vars")
    public static let varsFiles = VariablePrecedence(rank: 700, name: "vars_files")
    /// A role's `vars/main.yml` (and its role entry's `vars:`): above play vars and vars_files.
    public static let roleVars = VariablePrecedence(rank: 750, name: "role vars")
    public static let task = VariablePrecedence(rank: 800, name: "task vars")
    public static let registered = VariablePrecedence(rank: 900, name: "registered results")
    /// Role parameters (`- role: x` + `port: 80`, `import_role` + `vars:`): above registered results.
    public static let roleParams = VariablePrecedence(rank: 920, name: "role parameters")
    public static let loop = VariablePrecedence(rank: 950, name: "loop variable")
    public static let secrets = VariablePrecedence(rank: 990, name: "secrets file")
    public static let extra = VariablePrecedence(rank: 1000, name: "extra vars")
    /// Ansible's magic variables the engine sets (`groups`, `ansible_check_mode`, …): not a user's to set.
    public static let magic = VariablePrecedence(rank: 1010, name: "magic variables")

    public static func < (a: VariablePrecedence, b: VariablePrecedence) -> Bool { a.rank < b.rank }
    public var description: String { name }
}

/// Layers of variables merged by precedence. Values are kept raw: strings that contain
/// `{{ }}` are templated lazily when a template reads them (see `TemplateEngine`), except in
/// layers marked untemplated (facts, registered results: data from hosts is never a template).
public struct VariableScope: Sendable {
    public struct Layer: Sendable {
        public var precedence: VariablePrecedence
        public var values: [String: Value]
        public var templated: Bool
        public var locations: [String: SourceLocation]
    }

    struct Entry: Sendable {
        var value: Value
        var templated: Bool
        var location: SourceLocation?
    }

    public private(set) var layers: [Layer] = []
    private(set) var merged: [String: Entry] = [:]

    public init() {}

    /// One layer of play-level variables (handy for tests and simple callers).
    public init(_ values: [String: Value]) {
        add(values, at: .play)
    }

    /// Adds a layer. Layers of equal precedence: the one added later wins.
    /// `templated` defaults to false for facts and registered results, true otherwise.
    public mutating func add(_ values: [String: Value], at precedence: VariablePrecedence, templated: Bool? = nil,
                             locations: [String: SourceLocation] = [:]) {
        let layer = Layer(precedence: precedence, values: values,
                          templated: templated ?? !(precedence == .facts || precedence == .registered),
                          locations: locations)
        let position = layers.lastIndex { $0.precedence <= precedence }.map { $0 + 1 } ?? 0
        layers.insert(layer, at: position)
        if position == layers.count - 1 {
            for (k, v) in values { merged[k] = Entry(value: v, templated: layer.templated, location: locations[k]) }
        } else {
            rebuild()
        }
    }

    public func adding(_ values: [String: Value], at precedence: VariablePrecedence, templated: Bool? = nil,
                       locations: [String: SourceLocation] = [:]) -> VariableScope {
        var copy = self
        copy.add(values, at: precedence, templated: templated, locations: locations)
        return copy
    }

    /// Sets one variable at `precedence` (e.g. a registered result), replacing its previous
    /// value at that precedence.
    public mutating func set(_ name: String, _ value: Value, at precedence: VariablePrecedence) {
        if let i = layers.lastIndex(where: { $0.precedence == precedence }) {
            layers[i].values[name] = value
            rebuild()
        } else {
            add([name: value], at: precedence)
        }
    }

    private mutating func rebuild() {
        merged = [:]
        for layer in layers {
            for (k, v) in layer.values {
                merged[k] = Entry(value: v, templated: layer.templated, location: layer.locations[k])
            }
        }
    }

    /// The raw (untemplated) value that wins for `name`.
    public func rawValue(_ name: String) -> Value? { merged[name]?.value }

    func entry(_ name: String) -> Entry? { merged[name] }

    public var names: Set<String> { Set(merged.keys) }

    /// All winning values, raw (templates inside not yet rendered).
    public var rawValues: [String: Value] { merged.mapValues(\.value) }

    /// The value of `name` with templates inside it rendered; nil when undefined.
    public func value(_ name: String) throws -> Value? {
        guard merged[name] != nil else { return nil }
        return try TemplateEngine.evaluate(.name(name), scope: self, origin: nil)
    }

    /// Every variable with its templates rendered (errors in unused variables are reported too).
    public func resolvedValues() throws -> [String: Value] {
        var result: [String: Value] = [:]
        for name in merged.keys { result[name] = try value(name) }
        return result
    }
}

/// `-e` / `--extra-vars`: `key=value` pairs (values stay strings), a JSON object, or `@file`.
public enum ExtraVars {
    public static func parse(_ args: [String], baseDirectory: String = FileManager.default.currentDirectoryPath) throws -> [String: Value] {
        var result: [String: Value] = [:]
        for arg in args {
            for (k, v) in try parseOne(arg, baseDirectory: baseDirectory) { result[k] = v }
        }
        return result
    }

    static func parseOne(_ arg: String, baseDirectory: String) throws -> [String: Value] {
        let trimmed = arg.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("@") {
            let relative = String(trimmed.dropFirst())
            guard !relative.isEmpty else { throw InputError("-e @: expected a file name after '@'") }
            let path = relative.hasPrefix("/") ? relative : (baseDirectory as NSString).appendingPathComponent(relative)
            guard FileManager.default.fileExists(atPath: path) else {
                throw InputError("-e @\(relative): file not found")
            }
            let doc = try YAMLDocument.loadValue(path: path)
            if doc.isNull { return [:] }
            guard case .dict(let d) = doc.value else {
                throw InputError("-e @\(relative): expected a mapping of variables, found a \(doc.kindName)", at: doc.location)
            }
            return d
        }
        if trimmed.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8), options: [.fragmentsAllowed]) else {
                throw InputError("-e: invalid JSON: \(trimmed)", hint: "quote the argument for the shell, e.g. -e '{\"port\": 8080}'")
            }
            guard case .dict(let d) = fromJSON(object) else {
                throw InputError("-e: JSON must be an object, e.g. '{\"port\": 8080}'")
            }
            return d
        }
        let tokens: [String]
        do {
            tokens = try ArgumentSplitter.split(trimmed)
        } catch let error as ArgumentSplitter.SplitError {
            throw InputError("-e: \(error.message) in '\(arg)'")
        }
        guard !tokens.isEmpty else { throw InputError("-e: expected key=value, @file or JSON; got an empty string") }
        var result: [String: Value] = [:]
        for token in tokens {
            guard let (key, value) = ArgumentSplitter.keyValue(token) else {
                throw InputError("-e: expected key=value, @file or JSON; got '\(token)'")
            }
            result[key] = .string(value)
        }
        return result
    }

    /// Foundation JSON -> Value.
    public static func fromJSON(_ object: Any) -> Value {
        switch object {
        case is NSNull: return .null
        case let s as String: return .string(s)
        case let n as NSNumber:
            switch String(cString: n.objCType) {
            case "c", "B": return .bool(n.boolValue)
            case "d", "f": return .double(n.doubleValue)
            default: return .int(n.intValue)
            }
        case let a as [Any]: return .list(a.map(fromJSON))
        case let d as [String: Any]: return .dict(d.mapValues(fromJSON))
        default: return .string(String(describing: object))
        }
    }
}
