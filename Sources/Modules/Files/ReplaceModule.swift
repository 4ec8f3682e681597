import Foundation
import ProvisionCore

/// `replace`: every match of `regexp` (Python `re`, MULTILINE: `^`/`$` at line boundaries)
/// replaced, in the whole file or in the section between `after` and `before`, as
/// Ansible's module does it. The probe brings the bytes back; the edit is computed on the
/// controller (`ReplaceEdit`) and written through `ManagedFile`, like `lineinfile`.
public struct ReplaceModule: Module {
    public typealias Plan = ManagedFile.Plan

    public static let spec = ModuleSpec(
        name: "replace", summary: "Every match of a regular expression replaced, in the file or between after and before.",
        parameters: [
            ParameterSpec("path", required: true, aliases: ["dest", "destfile", "name"]),
            ParameterSpec("regexp", required: true),
            ParameterSpec("replace", default: ""),
            ParameterSpec("after"),
            ParameterSpec("before"),
            ParameterSpec("encoding", default: "utf-8"),
        ] + ManagedFile.parameters,
        make: { try ReplaceModule($0) })

    let path: String
    let edit: ReplaceEdit
    let file: ManagedFile

    init(_ args: ModuleArguments) throws {
        path = try args.requiredString("path")
        let encoding = try args.string("encoding") ?? "utf-8"
        guard ["utf-8", "utf8"].contains(encoding.lowercased()) else {
            throw args.error("encoding", "'\(encoding)' is not supported: replace reads and writes UTF-8 only")
        }
        let regexp = try args.requiredString("regexp")
        let after = try args.string("after").flatMap { $0.isEmpty ? nil : $0 }
        let before = try args.string("before").flatMap { $0.isEmpty ? nil : $0 }
        do {
            edit = try ReplaceEdit(regexp: regexp, replace: try args.string("replace") ?? "", after: after, before: before)
        } catch let problem as ReplaceEdit.Problem {
            throw args.error(problem.parameter, problem.message)
        }
        var file = try ManagedFile(path: path, reading: args)
        // Text made from a secret: --diff never shows the file (as copy's secret content).
        if case .secret? = args.values["replace"] { file.contentIsSecret = true }
        self.file = file
    }

    public func probe(_ context: TaskContext) throws -> String? {
        RemoteFile.probe(path, follow: true, content: true)
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan> {
        let remote = try RemoteFile.parse(probe?.output ?? "", path: path)
        let target = remote.kind == .link ? remote.followedKind : remote.kind
        if target == .directory { throw ModuleError("Path \(path) is a directory !") }
        if target == .absent {
            // In check mode an earlier task may be about to create the file: nothing to predict.
            if context.checkMode { return .ok("Path \(path) does not exist ! (check mode: not there yet)") }
            throw ModuleError("Path \(path) does not exist !")
        }
        if target == .other { throw ModuleError("\(path) exists but is not a regular file") }
        guard let old = remote.content, !remote.unreadable else {
            throw ManagedFile.unreadable(path, context)
        }
        guard let oldText = PythonRegex.text(old) else {
            throw ModuleError("\(path) is not UTF-8 text; replace will not rewrite it")
        }
        let result = edit.apply(to: oldText)
        guard let text = result.text else { return .ok(result.message) }
        let changed = !text.utf8.elementsEqual(oldText.utf8)
        // Unchanged content through a symbolic link: nothing to write (ManagedFile would
        // replace the link with a file).
        if !changed && remote.kind == .link { return .ok(result.message) }
        var managed = file
        managed.maskedVariables = context.variables
        return try managed.decide(remote, content: .data(Data(text.utf8)), oldContent: old, context: context,
                                  summaryPrefix: changed ? result.message : nil)
    }

    public func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        try file.apply(plan, context)
    }
}

/// replace's content computation, as Ansible's module does it: the section is what follows
/// the first match of `after` (DOTALL, greedy `.*`) and/or precedes `before` (`.*?` between
/// both); `regexp` is compiled MULTILINE and substituted in that section alone (its `^`
/// matches at the section's start), like `re.subn`.
public struct ReplaceEdit: Sendable {
    struct Problem: Error {
        var parameter: String
        var message: String
    }

    let regexp: String
    let replace: String
    let after: String?
    let before: String?
    let regex: NSRegularExpression
    let section: NSRegularExpression?
    let pieces: [PythonRegex.Piece]

    init(regexp: String, replace: String = "", after: String? = nil, before: String? = nil) throws {
        self.regexp = regexp
        self.replace = replace
        self.after = after
        self.before = before
        do { regex = try PythonRegex.compile(regexp, multiline: true) } catch {
            throw Problem(parameter: "regexp", message: "is not a valid regular expression: \(regexp)")
        }
        let pattern = Self.sectionPattern(after: after, before: before)
        if let pattern {
            do { section = try PythonRegex.compile(pattern, dotAll: true) } catch {
                throw Problem(parameter: after != nil ? "after" : "before", message: "does not make a valid regular expression: \(pattern)")
            }
        } else {
            section = nil
        }
        if let problem = PythonRegex.templateProblem(replace, for: regex) {
            throw Problem(parameter: "replace", message: problem)
        }
        pieces = try PythonRegex.parseTemplate(replace)
    }

    /// Ansible's pattern, built by joining the strings as it does.
    static func sectionPattern(after: String?, before: String?) -> String? {
        switch (after, before) {
        case let (a?, b?): return "\(a)(?P<subsection>.*?)\(b)"
        case let (a?, nil): return "\(a)(?P<subsection>.*)"
        case let (nil, b?): return "(?P<subsection>.*)\(b)"
        default: return nil
        }
    }

    public struct Result: Sendable, Equatable {
        /// nil: `after`/`before` did not match, the file is left as it is.
        public var text: String?
        public var count: Int
        public var message: String
    }

    public func apply(to contents: String) -> Result {
        let whole = contents as NSString
        var range = NSRange(location: 0, length: whole.length)
        if let section, let pattern = Self.sectionPattern(after: after, before: before) {
            guard let match = section.firstMatch(in: contents, range: range) else {
                return Result(text: nil, count: 0, message: "Pattern for before/after params did not match the given file: \(pattern)")
            }
            range = match.range(withName: "subsection")
        }
        let (replaced, count) = PythonRegex.substitute(regex, pieces, in: whole.substring(with: range))
        let text = whole.substring(to: range.location) + replaced + whole.substring(from: range.location + range.length)
        let changed = count > 0 && !text.utf8.elementsEqual(contents.utf8)
        return Result(text: text, count: count, message: changed ? "\(count) replacements made" : "no replacement made")
    }
}
