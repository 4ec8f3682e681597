import Foundation
import ProvisionCore

/// Ansible's INI inventory, read into the same tree as a YAML inventory so that one loader
/// (`InventoryLoader.build`) decides what groups, hosts and variables mean:
///
/// ```ini
/// web-1a ansible_host=10.0.10.10          # before any section: group `ungrouped`
/// [web]
/// web-1a site_marker="Sample 1a"
/// web-[2:4].example.com                   # a range: web-2 … web-4 (also [a:c], [01:10], [1:9:2])
/// [web:vars]
/// ansible_user=ec2-user
/// [aws:children]
/// web
/// ```
/// As Ansible reads it: values are Python-literal-like (`22` a number, `True`/`False`
/// booleans, quotes removed); on a host line words are split as a shell would (quote values
/// with spaces) and `#` starts a comment; a `:vars` line is one `name=value`; lines starting
/// with `#` or `;` are comments.
enum INIInventory {
    /// Whether `text` at `path` is an INI inventory: `.ini`, or not `.yml`/`.yaml`/`.json`
    /// and its first significant line is a `[section]` or a `host key=value` line (YAML's
    /// `all:` never is).
    static func isINI(path: String, text: String) -> Bool {
        let ext = (path as NSString).pathExtension.lowercased()
        if ext == "ini" { return true }
        if ["yml", "yaml", "json"].contains(ext) { return false }
        guard let first = significantLines(text).first?.text else { return false }
        return first.hasPrefix("[") || !(first.contains(":") || first.hasPrefix("-") || first.hasPrefix("{"))
    }

    static func parse(text: String, file: String) throws -> LocatedValue {
        var order: [String] = []                       // groups in document order
        var hosts: [String: [LocatedValue.Entry]] = [:]
        var vars: [String: [LocatedValue.Entry]] = [:]
        var children: [String: [LocatedValue.Entry]] = [:]
        var groupLines: [String: SourceLocation] = [:]
        func noteGroup(_ name: String, _ at: SourceLocation) {
            if groupLines[name] == nil { groupLines[name] = at; order.append(name) }
        }
        var section = (group: "ungrouped", kind: Kind.hosts)

        for (lineNumber, line) in significantLines(text) {
            let at = SourceLocation(file: file, line: lineNumber)
            if line.hasPrefix("[") {
                section = try header(line, at: at)
                try checkGroupName(section.group, at: at)
                noteGroup(section.group, at)
                continue
            }
            switch section.kind {
            case .hosts:
                let words = try shellWords(line, at: at)
                guard let pattern = words.first else { continue }
                let hostVars = try words.dropFirst().map { try assignment($0, at: at) }
                let mapping = LocatedValue(.dict(hostVars.map { LocatedValue.Entry(key: $0.0, keyLocation: at, value: literal($0.1, at: at)) }), at: at)
                noteGroup(section.group, at)
                for name in try expand(pattern, at: at) {
                    hosts[section.group, default: []].append(LocatedValue.Entry(key: name, keyLocation: at, value: mapping))
                }
            case .vars:
                let (name, value) = try assignment(line, at: at)
                vars[section.group, default: []].append(LocatedValue.Entry(key: name, keyLocation: at, value: literal(value, at: at)))
            case .children:
                try checkGroupName(line, at: at)
                noteGroup(line, at)
                children[section.group, default: []].append(LocatedValue.Entry(key: line, keyLocation: at, value: LocatedValue(.scalar(.null), at: at)))
            }
        }
        let groups = order.filter { $0 != "ungrouped" || hosts["ungrouped"] != nil }.map { name -> LocatedValue.Entry in
            let at = groupLines[name]!
            var body: [LocatedValue.Entry] = []
            for (key, entries) in [("hosts", hosts[name]), ("vars", vars[name]), ("children", children[name])] {
                if let entries { body.append(LocatedValue.Entry(key: key, keyLocation: at, value: LocatedValue(.dict(entries), at: at))) }
            }
            return LocatedValue.Entry(key: name, keyLocation: at, value: LocatedValue(.dict(body), at: at))
        }
        return LocatedValue(.dict(groups), at: SourceLocation(file: file, line: 1))
    }

    enum Kind: String { case hosts, vars, children }

    /// `[web]`, `[web:vars]`, `[web:children]`.
    static func header(_ line: String, at: SourceLocation) throws -> (group: String, kind: Kind) {
        guard line.hasSuffix("]") else {
            throw InputError("section header must end with ']': \(line)", at: at, hint: "write [group], [group:vars] or [group:children]")
        }
        let inside = line.dropFirst().dropLast()
        let parts = inside.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { return (parts[0], .hosts) }
        guard let kind = Kind(rawValue: parts[1]), kind != .hosts else {
            throw InputError("unknown section kind ':\(parts[1])' in \(line)", at: at,
                             hint: Suggestions.hint(for: parts[1], in: ["vars", "children"]) ?? "a section is [group], [group:vars] or [group:children]")
        }
        return (parts[0], kind)
    }

    /// `name=value`, split at the first `=`.
    static func assignment(_ word: String, at: SourceLocation) throws -> (String, String) {
        guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
            throw InputError("expected name=value, not '\(word)'", at: at, hint: "host variables are written name=value after the host name")
        }
        let name = word[..<equals].trimmingCharacters(in: .whitespaces)
        let value = word[word.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        return (name, value)
    }

    /// A value as Ansible's INI reader makes it: a number, a boolean (`True`/`False`), a
    /// quoted string unquoted, else the text as it is.
    static func literal(_ text: String, at: SourceLocation) -> LocatedValue {
        let value: Value
        if let quote = text.first, quote == "\"" || quote == "'", text.count >= 2, text.last == quote {
            value = .string(String(text.dropFirst().dropLast()))
        } else if let n = Int(text) {
            value = .int(n)
        } else if text == "True" || text == "False" {
            value = .bool(text == "True")
        } else {
            value = .string(text)
        }
        return LocatedValue(.scalar(value), at: at)
    }

    /// Words of a host line, split as `shlex` does (quotes keep spaces, kept in the word so
    /// `literal` sees them), up to an unquoted `#`.
    static func shellWords(_ line: String, at: SourceLocation) throws -> [String] {
        var words: [String] = [], word = "", quote: Character?, inWord = false
        for c in line {
            if let q = quote {
                word.append(c)
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c; word.append(c); inWord = true
            } else if c == "#" && !inWord {
                break
            } else if c == " " || c == "\t" {
                if inWord { words.append(word); word = ""; inWord = false }
            } else {
                word.append(c); inWord = true
            }
        }
        if quote != nil { throw InputError("unterminated quote in: \(line)", at: at, hint: "close the quote around the value") }
        if inWord { words.append(word) }
        return words
    }

    /// `web-[1:3]`, `db[a:c].example.com`, `web[01:10]` (zero-padded), `web[0:10:5]`.
    static func expand(_ pattern: String, at: SourceLocation) throws -> [String] {
        guard let open = pattern.firstIndex(of: "["), let close = pattern[open...].firstIndex(of: "]") else {
            try InventoryLoader.checkHostName(pattern, at: at)
            return [pattern]
        }
        let head = String(pattern[..<open]), tail = String(pattern[pattern.index(after: close)...])
        let parts = pattern[pattern.index(after: open)..<close].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let bad = InputError("host range '\(pattern)' must be [START:END] or [START:END:STEP]", at: at,
                             hint: "e.g. web-[1:10] or web-[01:10] (numbers) or db-[a:c] (letters)")
        guard parts.count == 2 || parts.count == 3 else { throw bad }
        let step = parts.count == 3 ? Int(parts[2]) : 1
        guard let step, step > 0 else { throw bad }
        var names: [String] = []
        if let first = Int(parts[0]), let last = Int(parts[1]), first <= last {
            let width = parts[0].hasPrefix("0") && parts[0].count > 1 ? parts[0].count : 0
            guard (last - first) / step < 10_000 else { throw InputError("host range '\(pattern)' has more than 10000 hosts", at: at) }
            for n in stride(from: first, through: last, by: step) {
                let digits = String(n)
                names.append(String(repeating: "0", count: max(0, width - digits.count)) + digits)
            }
        } else if parts[0].count == 1, parts[1].count == 1, let a = parts[0].unicodeScalars.first, let b = parts[1].unicodeScalars.first,
                  a.properties.isAlphabetic, b.properties.isAlphabetic, a.value <= b.value {
            for v in stride(from: a.value, through: b.value, by: step) { names.append(String(Character(Unicode.Scalar(v)!))) }
        } else {
            throw bad
        }
        return try names.flatMap { try expand(head + $0 + tail, at: at) }
    }

    /// Group names as Ansible wants them (it warns on anything else): letters, digits, `_`; `-` is accepted.
    static func checkGroupName(_ name: String, at: SourceLocation) throws {
        let plain = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }
        guard plain, !name.isEmpty, !name.hasPrefix("-") else {
            throw InputError("group name '\(name)' may contain only letters, digits, '_' and '-'", at: at, hint: "rename the group")
        }
    }

    /// Lines that say something, numbered from 1, trimmed; comments (`#`, `;`) and blanks dropped.
    static func significantLines(_ text: String) -> [(line: Int, text: String)] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, raw in
            let line = raw.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { return nil }
            return (index + 1, line)
        }
    }
}
