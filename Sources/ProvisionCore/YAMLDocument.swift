import Foundation
import Yams

/// A YAML node converted to `Value`, keeping where every node (and every mapping key) came from.
public struct LocatedValue: Sendable {
    public indirect enum Content: Sendable {
        case scalar(Value)
        case list([LocatedValue])
        /// Keys in document order.
        case dict([Entry])
    }

    public struct Entry: Sendable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: LocatedValue
        public init(key: String, keyLocation: SourceLocation, value: LocatedValue) {
            self.key = key
            self.keyLocation = keyLocation
            self.value = value
        }
    }

    public var content: Content
    public var location: SourceLocation

    public init(_ content: Content, at location: SourceLocation) {
        self.content = content
        self.location = location
    }

    /// The plain value, locations dropped.
    public var value: Value {
        switch content {
        case .scalar(let v): return v
        case .list(let items): return .list(items.map(\.value))
        case .dict(let entries):
            var dict: [String: Value] = [:]
            for e in entries { dict[e.key] = e.value.value }
            return .dict(dict)
        }
    }

    public var entries: [Entry]? {
        if case .dict(let e) = content { return e }
        return nil
    }

    public var items: [LocatedValue]? {
        if case .list(let l) = content { return l }
        return nil
    }

    public var scalar: Value? {
        if case .scalar(let v) = content { return v }
        return nil
    }

    public var isNull: Bool {
        if case .scalar(.null) = content { return true }
        return false
    }

    public subscript(key: String) -> LocatedValue? {
        entries?.first { $0.key == key }?.value
    }

    public func entry(_ key: String) -> Entry? {
        entries?.first { $0.key == key }
    }

    /// What the user would call this node's shape, for error messages.
    public var kindName: String {
        switch content {
        case .scalar(let v): return v.kindName
        case .list: return "list"
        case .dict: return "mapping"
        }
    }
}

/// Reads YAML (and so JSON) into `LocatedValue`s, with `InputError`s that name file and line.
public enum YAMLDocument {
    public static func loadValue(path: String) throws -> LocatedValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw InputError(exists ? "cannot read file '\(path)'" : "file not found: '\(path)'")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError("file is not UTF-8 text", at: SourceLocation(file: path, line: 1))
        }
        return try loadValue(text: text, file: path)
    }

    /// A file of variables (`name: value` lines): an empty file has none; anything but a
    /// mapping is an error at its location, saying `notAMapping` (and `hint`).
    public static func loadVariables(path: String, notAMapping: String, hint: String? = nil) throws -> [String: Value] {
        let loaded = try loadValue(path: path)
        switch loaded.value {
        case .null: return [:]
        case .dict(let d): return d
        default: throw InputError(notAMapping, at: loaded.location, hint: hint)
        }
    }

    /// Parses one YAML document. An empty document is `null` at line 1.
    public static func loadValue(text: String, file: String) throws -> LocatedValue {
        if AnsibleVault.isVault(text) {
            // A vaulted file: its plaintext is read as the file, and every string in it is secret.
            let plaintext = try openVault(text, at: SourceLocation(file: file, line: 1))
            return sealed(try loadValue(text: plaintext, file: file))
        }
        let node: Node?
        do {
            let parser = try Parser(yaml: text)
            node = try parser.singleRoot()
        } catch let error as YamlError {
            throw inputError(from: error, text: text, file: file)
        }
        guard let node else { return LocatedValue(.scalar(.null), at: SourceLocation(file: file, line: 1)) }
        return try convert(node, file: file)
    }

    // MARK: - Vaults

    static func openVault(_ text: String, at location: SourceLocation) throws -> String {
        do {
            return try AnsibleVault.decrypt(text)
        } catch let failure as AnsibleVault.Failure {
            throw InputError("cannot read this: \(failure)", at: location, hint: failure.hint)
        }
    }

    /// Every string of a vaulted file is secret: masked in output, whatever its name.
    static func sealed(_ value: LocatedValue) -> LocatedValue {
        switch value.content {
        case .scalar(.string(let s)): return LocatedValue(.scalar(.secret(Secret(s))), at: value.location)
        case .scalar: return value
        case .list(let items): return LocatedValue(.list(items.map(sealed)), at: value.location)
        case .dict(let entries):
            return LocatedValue(.dict(entries.map { LocatedValue.Entry(key: $0.key, keyLocation: $0.keyLocation, value: sealed($0.value)) }),
                                at: value.location)
        }
    }

    // MARK: - Conversion

    static func location(_ mark: Mark?, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    static func convert(_ node: Node, file: String) throws -> LocatedValue {
        switch node {
        case .scalar(let s) where s.tag.description == "!vault":
            let at = location(s.mark, file)
            return LocatedValue(.scalar(.secret(Secret(try openVault(s.string, at: at)))), at: at)
        case .scalar(let s):
            return LocatedValue(.scalar(scalarValue(s.string, style: s.style, tag: s.tag.description)),
                                at: location(s.mark, file))
        case .sequence(let seq):
            return LocatedValue(.list(try seq.map { try convert($0, file: file) }), at: location(seq.mark, file))
        case .mapping(let map):
            var entries: [LocatedValue.Entry] = []
            for (key, value) in map {
                let keyText: String
                if let s = key.scalar { keyText = s.string } else { keyText = try convert(key, file: file).value.text }
                let keyLocation = location(key.mark, file)
                if keyText == "<<", key.scalar?.style == .plain {
                    // Merge key: entries of the merged mapping(s), overridden by explicit ones.
                    let merged = try convert(value, file: file)
                    let sources = merged.items ?? [merged]
                    for source in sources {
                        for e in source.entries ?? [] where !entries.contains(where: { $0.key == e.key }) {
                            entries.append(e)
                        }
                    }
                    continue
                }
                let converted = LocatedValue.Entry(key: keyText, keyLocation: keyLocation, value: try convert(value, file: file))
                if let i = entries.firstIndex(where: { $0.key == keyText }) {
                    entries[i] = converted
                } else {
                    entries.append(converted)
                }
            }
            return LocatedValue(.dict(entries), at: location(map.mark, file))
        case .alias:
            return LocatedValue(.scalar(.null), at: location(node.mark, file))
        }
    }

    /// Types a scalar as Ansible's YAML reader would: plain `yes`/`no`/`true`/`on` are booleans,
    /// numbers are numbers (`0644` stays the decimal-looking 644, which `mode` reads as octal
    /// digits), `~`/`null`/empty are null; quoted scalars are always strings.
    static func scalarValue(_ text: String, style: Node.Scalar.Style, tag: String) -> Value {
        switch tag {
        case "tag:yaml.org,2002:str": return .string(text)
        case "tag:yaml.org,2002:int": return Int(text).map(Value.int) ?? .string(text)
        case "tag:yaml.org,2002:float": return Double(text).map(Value.double) ?? .string(text)
        case "tag:yaml.org,2002:bool": return plainBool(text).map(Value.bool) ?? .string(text)
        case "tag:yaml.org,2002:null": return .null
        case "", "?": break
        default: return .string(text)
        }
        guard style == .plain || style == .any else { return .string(text) }
        if ["", "~", "null", "Null", "NULL"].contains(text) { return .null }
        if let b = plainBool(text) { return .bool(b) }
        if let i = plainInt(text) { return .int(i) }
        if let d = plainDouble(text) { return .double(d) }
        return .string(text)
    }

    package static func plainBool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return false
        default: return nil
        }
    }

    static func plainInt(_ text: String) -> Int? {
        var body = Substring(text)
        var sign = 1
        if body.first == "-" || body.first == "+" {
            sign = body.first == "-" ? -1 : 1
            body = body.dropFirst()
        }
        guard !body.isEmpty else { return nil }
        if body.hasPrefix("0x"), let v = Int(body.dropFirst(2), radix: 16) { return sign * v }
        if body.hasPrefix("0o"), let v = Int(body.dropFirst(2), radix: 8) { return sign * v }
        guard body.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(body) else { return nil }
        return sign * v
    }

    static func plainDouble(_ text: String) -> Double? {
        switch text.lowercased() {
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        case ".nan": return .nan
        default: break
        }
        guard text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }),
              text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
              text.contains(where: \.isNumber)
        else { return nil }
        return Double(text)
    }

    // MARK: - Errors

    static func inputError(from error: YamlError, text: String, file: String) -> InputError {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        func tabInIndentation(_ line: Int) -> Bool {
            guard line >= 1, line <= lines.count else { return false }
            return lines[line - 1].prefix(while: { $0 == " " || $0 == "\t" }).contains("\t")
        }
        func syntax(_ problem: String, _ context: YamlError.Context?, _ mark: Mark) -> InputError {
            // A tab in indentation makes libyaml complain at or just after the tab's line.
            for line in [mark.line, mark.line - 1] where tabInIndentation(line) {
                return InputError("tabs are not allowed for indentation; use spaces",
                                  at: SourceLocation(file: file, line: line, column: 1))
            }
            var message = "YAML syntax error: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line))" }
            return InputError(message, at: SourceLocation(file: file, line: mark.line, column: mark.column),
                              hint: "check the indentation and quoting of this line and the one before")
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return syntax(problem, context, mark)
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? "?"
            let first = context.mark
            let second = findDuplicate(key: key, after: first, lines: lines)
            return InputError("duplicate key '\(key)'",
                              at: SourceLocation(file: file, line: second?.line ?? first.line, column: second?.column ?? first.column),
                              hint: second == nil ? "each key may appear only once in a mapping"
                                  : "'\(key)' is already set at line \(first.line); each key may appear only once in a mapping")
        case let .reader(problem, offset, _, _):
            var line = 1
            if let offset {
                line = text.prefix(offset).filter { $0 == "\n" }.count + 1
            }
            return InputError("cannot read YAML: \(problem)", at: SourceLocation(file: file, line: line))
        default:
            return InputError("cannot read YAML: \(error)", at: SourceLocation(file: file, line: 1))
        }
    }

    /// Yams reports a duplicated key at its first occurrence; the user wants the second one.
    static func findDuplicate(key: String, after mark: Mark, lines: [Substring]) -> (line: Int, column: Int)? {
        let column = mark.column - 1
        guard mark.line < lines.count else { return nil }
        for index in mark.line..<lines.count {
            let chars = Array(lines[index])
            guard chars.count > column else { continue }
            let prefix = chars[..<column]
            guard prefix.allSatisfy({ $0 == " " || $0 == "-" }) else { continue }
            let rest = String(chars[column...])
            for candidate in [key, "'\(key)'", "\"\(key)\""] where rest.hasPrefix(candidate) {
                let after = rest.dropFirst(candidate.count).drop(while: { $0 == " " })
                if after.first == ":" { return (index + 1, column + 1) }
            }
        }
        return nil
    }
}
