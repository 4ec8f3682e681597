import Foundation
import ProvisionCore

/// lineinfile's content computation, on the controller, line for line as Ansible's
/// `present()`/`absent()` do it: lines keep their endings; the last `regexp` match is
/// replaced (the first with `firstmatch`); otherwise the line is inserted after/before
/// the last (or first) `insertafter`/`insertbefore` match, at BOF, or at EOF.
public struct LineEdit: Sendable {
    public enum State: String, Sendable { case present, absent }

    public var line: String?
    public var regexp: String?
    public var searchString: String?
    public var state: State = .present
    public var insertAfter: String?
    public var insertBefore: String?
    public var backrefs = false
    public var firstMatch = false

    public init(line: String? = nil, regexp: String? = nil, searchString: String? = nil, state: State = .present,
                insertAfter: String? = nil, insertBefore: String? = nil, backrefs: Bool = false, firstMatch: Bool = false) {
        self.line = line
        self.regexp = regexp
        self.searchString = searchString
        self.state = state
        self.insertAfter = insertAfter
        self.insertBefore = insertBefore
        self.backrefs = backrefs
        self.firstMatch = firstMatch
    }

    public struct Result: Sendable, Equatable {
        public var text: String
        public var changed: Bool
        public var message: String
    }

    /// Python's syntax, as Ansible reads it (`(?P<name>…)`, `\Z`; `PythonRegex`), as
    /// `replace` and `blockinfile` do.
    static func compile(_ pattern: String) throws -> NSRegularExpression {
        try PythonRegex.compile(pattern)
    }

    /// Splits keeping each line's "\n", as Python's readlines() does.
    static func lines(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for ch in text {
            current.append(ch)
            if ch == "\n" || ch == "\r\n" { result.append(current); current = "" }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    static func stripEnd(_ s: String) -> String {
        var s = Substring(s)
        while let last = s.last, last == "\n" || last == "\r" || last == "\r\n" { s = s.dropLast() }
        return String(s)
    }

    static func search(_ regex: NSRegularExpression, _ s: String) -> NSTextCheckingResult? {
        regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s))
    }

    public func apply(to text: String) throws -> Result {
        state == .present ? try present(text) : try absent(text)
    }

    func present(_ text: String) throws -> Result {
        let line = self.line ?? ""
        var lines = Self.lines(text)
        let bre = try regexp.map(Self.compile)
        var insertRegex: NSRegularExpression?
        if let a = insertAfter, a != "BOF", a != "EOF" { insertRegex = try Self.compile(a) }
        else if let b = insertBefore, b != "BOF" { insertRegex = try Self.compile(b) }

        var index = (-1, -1)
        var match: (NSTextCheckingResult, String)?
        var exactLineMatch = false
        if let bre {
            for (n, cur) in lines.enumerated() {
                if let m = Self.search(bre, cur) {
                    index.0 = n
                    match = (m, cur)
                    if firstMatch { break }
                }
            }
        }
        var foundBySearchString = false
        if match == nil, let searchString {
            for (n, cur) in lines.enumerated() where cur.contains(searchString) {
                index.0 = n
                foundBySearchString = true
                if firstMatch { break }
            }
        }
        if match == nil && !foundBySearchString {
            for (n, cur) in lines.enumerated() {
                if line == Self.stripEnd(cur) {
                    index.0 = n
                    exactLineMatch = true
                } else if let insertRegex, Self.search(insertRegex, cur) != nil {
                    if insertAfter != nil {
                        index.1 = n + 1
                        if firstMatch { break }
                    }
                    if insertBefore != nil {
                        index.1 = n
                        if firstMatch { break }
                    }
                }
            }
        }

        let sep = "\n"
        func endsWithNewline(_ s: String) -> Bool { s.last == "\n" || s.last == "\r" || s.last == "\r\n" }
        var changed = false
        var message = ""
        if index.0 != -1 {
            var newLine = backrefs && match != nil ? Self.expand(line, match!.0, in: match!.1) : line
            if !newLine.hasSuffix(sep) { newLine += sep }
            if regexp == nil, searchString == nil, match == nil, !exactLineMatch {
                // Not reachable in Ansible either (index.0 is only set by a match); kept for parity.
            } else if lines[index.0] != newLine {
                lines[index.0] = newLine
                message = "line replaced"
                changed = true
            }
        } else if backrefs {
            // Without a match there is nothing to fill the backreferences with: leave the file.
        } else if insertBefore == "BOF" || insertAfter == "BOF" {
            lines.insert(line + sep, at: 0)
            message = "line added"
            changed = true
        } else if insertAfter == "EOF" || index.1 == -1 {
            if let last = lines.last, !endsWithNewline(last) { lines.append(sep) }
            lines.append(line + sep)
            message = "line added"
            changed = true
        } else if insertAfter != nil && index.1 != -1 {
            if lines.count == index.1 {
                if Self.stripEnd(lines[index.1 - 1]) != line {
                    if let last = lines.last, !endsWithNewline(last) { lines[lines.count - 1] = last + sep }
                    lines.append(line + sep)
                    message = "line added"
                    changed = true
                }
            } else if line != Self.stripEnd(lines[index.1]) {
                lines.insert(line + sep, at: index.1)
                message = "line added"
                changed = true
            }
        } else {
            lines.insert(line + sep, at: index.1)
            message = "line added"
            changed = true
        }
        return Result(text: lines.joined(), changed: changed, message: changed ? message : "line present")
    }

    func absent(_ text: String) throws -> Result {
        let bre = try regexp.map(Self.compile)
        var removed = 0
        let kept = Self.lines(text).filter { cur in
            let found: Bool
            if let bre { found = Self.search(bre, cur) != nil }
            else if let searchString { found = cur.contains(searchString) }
            else { found = line == Self.stripEnd(cur) }
            if found { removed += 1 }
            return !found
        }
        return Result(text: kept.joined(), changed: removed > 0,
                      message: removed > 0 ? "\(removed) line(s) removed" : "no matching line")
    }

    /// Python's `match.expand`: \1 … \99, \g<n>, \g<name>, and \n \t \\ escapes.
    static func expand(_ template: String, _ match: NSTextCheckingResult, in source: String) -> String {
        func group(_ n: Int) -> String {
            guard n < match.numberOfRanges, let r = Range(match.range(at: n), in: source) else { return "" }
            return String(source[r])
        }
        func named(_ name: String) -> String {
            guard let r = Range(match.range(withName: name), in: source) else { return "" }
            return String(source[r])
        }
        var out = ""
        let chars = Array(template)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "\\", i + 1 < chars.count else { out.append(c); i += 1; continue }
            let next = chars[i + 1]
            if next.isASCII, next.isNumber {
                var digits = String(next)
                if i + 2 < chars.count, chars[i + 2].isASCII, chars[i + 2].isNumber { digits.append(chars[i + 2]) }
                out += group(Int(digits)!)
                i += 1 + digits.count
            } else if next == "g", i + 2 < chars.count, chars[i + 2] == "<", let close = chars[(i + 3)...].firstIndex(of: ">") {
                let name = String(chars[(i + 3)..<close])
                out += Int(name).map(group) ?? named(name)
                i = close + 1
            } else {
                switch next {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "\\": out.append("\\")
                default: out.append(c); out.append(next)
                }
                i += 2
            }
        }
        return out
    }
}
