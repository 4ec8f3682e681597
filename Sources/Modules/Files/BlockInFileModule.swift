import Foundation
import ProvisionCore

/// `blockinfile`: a block of lines between two marker lines present (replaced where the
/// markers are, else inserted after/before a regexp match, at EOF or BOF) or absent. The
/// probe brings the bytes back; `BlockEdit` computes the new content on the controller;
/// `ManagedFile` writes it (check mode, --diff, backup, validate, owner/group/mode).
public struct BlockInFileModule: Module {
    public typealias Plan = ManagedFile.Plan

    public static let spec = ModuleSpec(
        name: "blockinfile", summary: "A block of lines between marker lines present (replaced in place) or absent.",
        parameters: [
            ParameterSpec("path", required: true, aliases: ["dest", "destfile", "name"]),
            ParameterSpec("block", aliases: ["content"], default: ""),
            ParameterSpec("marker", default: "# {mark} ANSIBLE MANAGED BLOCK"),
            ParameterSpec("marker_begin", default: "BEGIN"),
            ParameterSpec("marker_end", default: "END"),
            ParameterSpec("state", choices: ["present", "absent"], default: "present"),
            ParameterSpec("insertafter"),
            ParameterSpec("insertbefore"),
            ParameterSpec("create", .bool, default: false),
            ParameterSpec("append_newline", .bool, default: false),
            ParameterSpec("prepend_newline", .bool, default: false),
        ] + ManagedFile.parameters,
        mutuallyExclusive: [["insertafter", "insertbefore"]],
        make: { try BlockInFileModule($0) })

    let path: String
    let edit: BlockEdit
    let create: Bool
    let file: ManagedFile

    init(_ args: ModuleArguments) throws {
        path = try args.requiredString("path")
        let marker = try args.string("marker") ?? ""
        if marker.contains("\n") || marker.contains("\r") { throw args.error("marker", "must be one line") }
        for name in ["marker_begin", "marker_end"] where (try args.string(name) ?? "").contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            throw args.error(name, "must be one line")
        }
        var edit = BlockEdit(block: try args.string("block") ?? "", marker: marker,
                             markerBegin: try args.string("marker_begin") ?? "BEGIN", markerEnd: try args.string("marker_end") ?? "END",
                             present: try args.choice("state") == "present",
                             insertAfter: try args.string("insertafter"), insertBefore: try args.string("insertbefore"),
                             appendNewline: try args.bool("append_newline"), prependNewline: try args.bool("prepend_newline"))
        if edit.insertAfter == "" { edit.insertAfter = nil }
        if edit.insertBefore == "" { edit.insertBefore = nil }
        for (name, pattern) in [("insertafter", edit.insertAfter), ("insertbefore", edit.insertBefore)] {
            if let pattern, pattern != "EOF", pattern != "BOF", (try? PythonRegex.compile(pattern)) == nil {
                throw args.error(name, "is not a valid regular expression: \(pattern)")
            }
        }
        self.edit = edit
        create = try args.bool("create")
        var file = try ManagedFile(path: path, reading: args)
        // Text made from a secret: --diff never shows the file (as copy's secret content).
        if case .secret? = args.values["block"] { file.contentIsSecret = true }
        self.file = file
    }

    public func probe(_ context: TaskContext) throws -> String? {
        RemoteFile.probe(path, follow: true, content: true)
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan> {
        let remote = try RemoteFile.parse(probe?.output ?? "", path: path)
        let target = remote.kind == .link ? remote.followedKind : remote.kind
        if target == .directory { throw ModuleError("Path \(path) is a directory !") }
        if target == .other { throw ModuleError("\(path) exists but is not a regular file") }
        var old: Data?
        if target == .file {
            guard let content = remote.content, !remote.unreadable else {
                throw ManagedFile.unreadable(path, context)
            }
            old = content
        } else {
            // In check mode an earlier task may be about to create the file: predict the edit
            // on an empty one rather than fail on what is not there yet (as lineinfile does).
            if !create && !context.checkMode { throw ModuleError("Path \(path) does not exist !") }
            if !edit.present { return .ok("File \(path) not present") }
        }
        let oldText: String?
        if let old {
            guard let text = PythonRegex.text(old) else {
                throw ModuleError("\(path) is not UTF-8 text; blockinfile will not rewrite it")
            }
            oldText = text
        } else {
            oldText = nil
        }
        let result = try edit.apply(to: oldText)
        if !result.changed && remote.kind == .link { return .ok(nil) }
        var managed = file
        managed.maskedVariables = context.variables
        return try managed.decide(remote, content: .data(Data(result.text.utf8)), oldContent: old, context: context,
                                  summaryPrefix: result.changed ? result.message : nil)
    }

    public func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        try file.apply(plan, context)
    }
}

/// blockinfile's content computation, step for step as Ansible's module: lines split as
/// Python's `bytes.splitlines(True)` (after `\n`, `\r\n` or a lone `\r`); the markers are
/// whole lines (`marker` with `{mark}` replaced, plus `\n`); an existing block (both markers
/// found, the last of each) is removed and the new one goes where it was; otherwise after
/// the last line `insertafter` matches (before the last one `insertbefore` matches; EOF when
/// none does), or at EOF/BOF. A pattern that starts with `(?m)` is searched in the whole
/// text instead. An empty block, or state absent, leaves no block.
public struct BlockEdit: Sendable {
    public var block: String
    public var marker = "# {mark} ANSIBLE MANAGED BLOCK"
    public var markerBegin = "BEGIN"
    public var markerEnd = "END"
    public var present = true
    public var insertAfter: String?
    public var insertBefore: String?
    public var appendNewline = false
    public var prependNewline = false

    public struct Result: Sendable, Equatable {
        public var text: String
        public var changed: Bool
        public var message: String
    }

    /// Python's `bytes.splitlines(keepends=True)`.
    static func splitLines(_ text: String) -> [String] {
        var result: [String] = []
        var current = String.UnicodeScalarView()
        var afterCR = false
        for scalar in text.unicodeScalars {
            if afterCR {
                afterCR = false
                if scalar == "\n" {
                    current.append(scalar)
                    result.append(String(current))
                    current = String.UnicodeScalarView()
                    continue
                }
                result.append(String(current))
                current = String.UnicodeScalarView()
            }
            current.append(scalar)
            if scalar == "\n" {
                result.append(String(current))
                current = String.UnicodeScalarView()
            } else if scalar == "\r" {
                afterCR = true
            }
        }
        if !current.isEmpty { result.append(String(current)) }
        return result
    }

    /// Byte equality (Swift's `==` on String is canonical equivalence, Python's is not).
    static func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    var markerLines: (begin: String, end: String) {
        (marker.replacingOccurrences(of: "{mark}", with: markerBegin) + "\n",
         marker.replacingOccurrences(of: "{mark}", with: markerEnd) + "\n")
    }

    public func apply(to original: String?) throws -> Result {
        var lines = original.map(Self.splitLines) ?? []
        var insertAfter = self.insertAfter
        if insertAfter == nil && insertBefore == nil { insertAfter = "EOF" }
        let insertPattern: String?
        if let a = insertAfter, a != "EOF" { insertPattern = a }
        else if let b = insertBefore, b != "BOF" { insertPattern = b }
        else { insertPattern = nil }

        let (marker0, marker1) = markerLines
        var blockLines: [String] = []
        if present && !block.isEmpty {
            var text = block
            if text.utf8.last != UInt8(ascii: "\n") { text += "\n" }
            blockLines = [marker0] + Self.splitLines(text) + [marker1]
        }

        var begin: Int?, end: Int?
        for (i, line) in lines.enumerated() {
            if Self.same(line, marker0) { begin = i }
            if Self.same(line, marker1) { end = i }
        }
        var n0: Int
        if let b = begin, let e = end {
            lines.removeSubrange(min(b, e)...max(b, e))
            n0 = min(b, e)
        } else if let insertPattern {
            let regex = try PythonRegex.compile(insertPattern)
            var found: Int?
            if PythonRegex.setsMultiline(insertPattern) {
                let whole = (original ?? "") as NSString
                if let m = regex.firstMatch(in: whole as String, range: NSRange(location: 0, length: whole.length)) {
                    let upTo = insertAfter != nil ? m.range.location + m.range.length : m.range.location
                    found = whole.substring(to: upTo).utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
                }
            } else {
                for (i, line) in lines.enumerated()
                where regex.firstMatch(in: line, range: NSRange(location: 0, length: (line as NSString).length)) != nil {
                    found = i
                }
            }
            if let found { n0 = insertAfter != nil ? found + 1 : found } else { n0 = lines.count }
            n0 = min(n0, lines.count)
        } else if insertBefore != nil {
            n0 = 0  // BOF
        } else {
            n0 = lines.count  // EOF
        }

        // A line separator before the block.
        if n0 > 0, lines[n0 - 1].utf8.last != UInt8(ascii: "\n") { lines[n0 - 1] += "\n" }
        if prependNewline && present, n0 != 0, !Self.same(lines[n0 - 1], "\n") {
            lines.insert("\n", at: n0)
            n0 += 1
        }
        lines.insert(contentsOf: blockLines, at: n0)
        if appendNewline && present {
            let after = n0 + blockLines.count
            if after < lines.count, !Self.same(lines[after], "\n") { lines.insert("\n", at: after) }
        }
        let text = lines.joined()
        let message: String
        let changed: Bool
        if let original, Self.same(original, text) {
            (message, changed) = ("block unchanged", false)
        } else if original == nil {
            (message, changed) = ("File created", true)
        } else if blockLines.isEmpty {
            (message, changed) = ("Block removed", true)
        } else {
            (message, changed) = ("Block inserted", true)
        }
        return Result(text: text, changed: changed, message: message)
    }
}
