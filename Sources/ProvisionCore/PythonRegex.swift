import Foundation
import ProvisionCore

/// Python `re` patterns and replacement templates (what Ansible's `replace` and
/// `blockinfile` take) on top of NSRegularExpression (ICU). ICU reads most Python syntax as
/// Python does; the differences a playbook meets are translated: `(?P<name>…)`, `(?P=name)`,
/// `\Z` (Python's end of string is ICU's `\z`), and a `{` that starts no quantifier (literal
/// in Python, an error in ICU). Only `\n` ends a line, as in Python (`useUnixLineSeparators`).
/// All offsets are UTF-16 (NSString), so a match may end between `\r` and `\n`.
/// Shared by the file modules and the template engine (`regex_search`, `regex_findall`, `match`).
package enum PythonRegex {
    /// ICU's spelling of a Python pattern.
    package static func translate(_ pattern: String) -> String {
        let chars = Array(pattern)
        var out = ""
        var i = 0
        var inClass = false
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count {
                let next = chars[i + 1]
                out += next == "Z" && !inClass ? "\\z" : "\\\(next)"
                i += 2
                continue
            }
            if inClass {
                if c == "]" { inClass = false }
                out.append(c)
                i += 1
                continue
            }
            if c == "[" {
                inClass = true
                out.append(c)
                i += 1
                // `[]…]` and `[^]…]`: a leading `]` is a member, as in Python.
                if i < chars.count, chars[i] == "^" { out.append("^"); i += 1 }
                if i < chars.count, chars[i] == "]" { out += "\\]"; i += 1 }
                continue
            }
            if c == "(", i + 3 < chars.count, chars[i + 1] == "?", chars[i + 2] == "P" {
                if chars[i + 3] == "<" { out += "(?<"; i += 4; continue }
                if chars[i + 3] == "=", let close = chars[(i + 4)...].firstIndex(of: ")") {
                    out += "\\k<" + String(chars[(i + 4)..<close]) + ">"
                    i = close + 1
                    continue
                }
            }
            if c == "{", !startsQuantifier(chars, at: i) {
                out += "\\{"
                i += 1
                continue
            }
            if c == "}", !closesQuantifier(out) {
                out += "\\}"
                i += 1
                continue
            }
            out.append(c)
            i += 1
        }
        return out
    }

    /// `{n}`, `{n,}`, `{,m}`, `{n,m}` after something repeatable.
    package static func startsQuantifier(_ chars: [Character], at i: Int) -> Bool {
        guard i > 0, let close = chars[(i + 1)...].firstIndex(of: "}") else { return false }
        let body = String(chars[(i + 1)..<close])
        return body.range(of: #"^(\d+|\d+,\d*|,\d+)$"#, options: .regularExpression) != nil
    }

    package static func closesQuantifier(_ out: String) -> Bool {
        out.range(of: #"(?<!\\)\{(\d+|\d+,\d*|,\d+)$"#, options: .regularExpression) != nil
    }

    package static func compile(_ pattern: String, dotAll: Bool = false, multiline: Bool = false,
                                ignoreCase: Bool = false) throws -> NSRegularExpression {
        var options: NSRegularExpression.Options = [.useUnixLineSeparators]
        if dotAll { options.insert(.dotMatchesLineSeparators) }
        if multiline { options.insert(.anchorsMatchLines) }
        if ignoreCase { options.insert(.caseInsensitive) }
        do {
            return try NSRegularExpression(pattern: translate(pattern), options: options)
        } catch {
            throw ModuleError("invalid regular expression '\(pattern)'")
        }
    }

    /// Whether the pattern turns on MULTILINE itself (`(?m)` at its start), as blockinfile asks.
    package static func setsMultiline(_ pattern: String) -> Bool {
        guard let m = pattern.firstMatch(of: /^\(\?([aiLmsux]+)\)/) else { return false }
        return m.1.contains("m")
    }

    // MARK: replacement templates

    package enum Piece: Equatable {
        case text(String)
        case group(Int)
        case named(String)
    }

    /// Python's `re` replacement template: `\1`…`\99`, `\g<n>`, `\g<name>`, the escapes
    /// `\n \t \r \f \v \a \b \\`; another `\` before a letter is an error (as in Python 3.7+),
    /// before anything else it is kept.
    package static func parseTemplate(_ template: String) throws -> [Piece] {
        var pieces: [Piece] = []
        var text = ""
        func flush() { if !text.isEmpty { pieces.append(.text(text)); text = "" } }
        let chars = Array(template)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "\\", i + 1 < chars.count else { text.append(c); i += 1; continue }
            let next = chars[i + 1]
            if next.isASCII, next.isNumber {
                if next == "0" {
                    // Python reads \0 as an octal escape: the NUL character and up to two more octal digits.
                    var digits = ""
                    var j = i + 1
                    while j < chars.count, digits.count < 3, ("0"..."7").contains(chars[j]) { digits.append(chars[j]); j += 1 }
                    text.unicodeScalars.append(Unicode.Scalar(UInt8(Int(digits, radix: 8)! & 0xff)))
                    i = j
                    continue
                }
                var digits = String(next)
                if i + 2 < chars.count, chars[i + 2].isASCII, chars[i + 2].isNumber { digits.append(chars[i + 2]) }
                flush()
                pieces.append(.group(Int(digits)!))
                i += 1 + digits.count
            } else if next == "g" {
                guard i + 2 < chars.count, chars[i + 2] == "<", let close = chars[(i + 3)...].firstIndex(of: ">") else {
                    throw ModuleError("missing < after \\g in the replacement")
                }
                let name = String(chars[(i + 3)..<close])
                guard !name.isEmpty else { throw ModuleError("empty group name in \\g<> in the replacement") }
                flush()
                if let n = Int(name) { pieces.append(.group(n)) } else { pieces.append(.named(name)) }
                i = close + 1
            } else {
                let escapes: [Character: String] = ["n": "\n", "t": "\t", "r": "\r", "f": "\u{0C}", "v": "\u{0B}",
                                                    "a": "\u{07}", "b": "\u{08}", "\\": "\\"]
                if let e = escapes[next] {
                    text += e
                } else if next.isASCII && next.isLetter {
                    throw ModuleError("bad escape \\\(next) in the replacement")
                } else {
                    text.append(c)
                    text.append(next)
                }
                i += 2
            }
        }
        flush()
        return pieces
    }

    /// The problem with `template`'s group references against `regex`, or nil.
    package static func templateProblem(_ template: String, for regex: NSRegularExpression) -> String? {
        let pieces: [Piece]
        do { pieces = try parseTemplate(template) } catch let e as ModuleError { return e.message } catch { return "\(error)" }
        for piece in pieces {
            switch piece {
            case .group(let n) where n > regex.numberOfCaptureGroups: return "refers to group \(n), but the regexp has \(regex.numberOfCaptureGroups)"
            case .named(let name) where !regex.pattern.contains("(?<\(name)>"): return "refers to group '\(name)', which the regexp does not define"
            default: continue
            }
        }
        return nil
    }

    package static func expand(_ pieces: [Piece], _ match: NSTextCheckingResult, in source: NSString) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let t): out += t
            case .group(let n):
                let r = n < match.numberOfRanges ? match.range(at: n) : NSRange(location: NSNotFound, length: 0)
                if r.location != NSNotFound { out += source.substring(with: r) }
            case .named(let name):
                let r = match.range(withName: name)
                if r.location != NSNotFound { out += source.substring(with: r) }
            }
        }
        return out
    }

    /// `re.subn(regex, template, text)`: every match replaced; the count of matches.
    package static func substitute(_ regex: NSRegularExpression, _ pieces: [Piece], in text: String) -> (text: String, count: Int) {
        let source = text as NSString
        var out = ""
        var last = 0
        var count = 0
        for match in regex.matches(in: text, range: NSRange(location: 0, length: source.length)) {
            out += source.substring(with: NSRange(location: last, length: match.range.location - last))
            out += expand(pieces, match, in: source)
            last = match.range.location + match.range.length
            count += 1
        }
        out += source.substring(from: last)
        return (out, count)
    }

    /// The text of UTF-8 bytes, exactly (a byte order mark stays), or nil when they are not UTF-8.
    package static func text(_ data: Data) -> String? { String(validating: data, as: UTF8.self) }
}
