import Foundation

/// `lineinfile`: one line present (replacing the last line a regexp matches, or inserted
/// at a place) or absent. The file's content comes back with the probe; the new content is
/// computed on the controller and written like `copy`.
public struct LineInFileModule: Module {
    public static let spec = ModuleSpec(
        name: "lineinfile",
        parameters: [
            ParameterSpec("path", required: true, aliases: ["dest", "destfile", "name"]),
            ParameterSpec("line", aliases: ["value"]),
            ParameterSpec("regexp", aliases: ["regex"]),
            ParameterSpec("state", choices: ["present", "absent"]),
            ParameterSpec("insertafter"),
            ParameterSpec("insertbefore"),
            ParameterSpec("create", .bool),
            ParameterSpec("backrefs", .bool),
            ParameterSpec("validate"),
        ] + WantedAttributes.parameters,
        make: { try LineInFileModule($0) })

    let file: ManagedFile
    let edit: LineEdit
    let create: Bool

    init(_ args: ModuleArguments) throws {
        let path = try args.requiredString("path")
        file = ManagedFile(path: path, attributes: try WantedAttributes(args), validate: try args.string("validate"))
        create = try args.bool("create", default: false)
        func regex(_ name: String) throws -> NSRegularExpression? {
            guard let pattern = try args.string(name) else { return nil }
            do { return try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines]) } catch {
                throw InputError("lineinfile: \(name) '\(pattern)' is not a valid regular expression", at: args.locations[name] ?? args.taskLocation)
            }
        }
        let present = try args.choice("state", ["present", "absent"], default: "present") == "present"
        let line = try args.string("line")
        if present && line == nil { throw InputError("lineinfile: line is required with state=present", at: args.taskLocation) }
        if !present && line == nil && !args.has("regexp") {
            throw InputError("lineinfile: state=absent needs line or regexp", at: args.taskLocation)
        }
        let after = try args.string("insertafter"), before = try args.string("insertbefore")
        if after != nil && before != nil {
            throw InputError("lineinfile: give insertafter or insertbefore, not both", at: args.taskLocation)
        }
        let place: LineEdit.Place
        switch (after, before) {
        case (_, "BOF"?): place = .beginning
        case (_, .some): place = .before(try regex("insertbefore")!)
        case ("EOF"?, _), (nil, nil): place = .end
        default: place = .after(try regex("insertafter")!)
        }
        edit = LineEdit(line: line, regexp: try regex("regexp"), present: present, place: place,
                        backrefs: try args.bool("backrefs", default: false))
    }

    public func probe(_ context: TaskContext) throws -> String? { file.probe(withContent: true) }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<ManagedFile.Plan> {
        let state = FileState(parsing: probe?.output ?? "")
        guard state.exists || create || !edit.present else {
            throw ModuleError("\(file.path) does not exist (set create: true to make it)")
        }
        if !state.exists && !edit.present { return .ok("\(file.path) does not exist") }
        let old = state.content ?? ""
        let new = edit.apply(to: old)
        return try file.decide(probe, content: Data(new.utf8), context: context, sensitive: false)
    }

    public func apply(_ plan: ManagedFile.Plan, _ context: TaskContext) throws -> TaskOutcome {
        try file.apply(plan, context)
    }
}

/// The text edit `lineinfile` makes, as Ansible makes it.
struct LineEdit: Sendable {
    enum Place: @unchecked Sendable {  // NSRegularExpression is immutable and thread-safe
        case end, beginning
        case after(NSRegularExpression)
        case before(NSRegularExpression)
    }

    let line: String?
    let regexp: NSRegularExpression?
    let present: Bool
    let place: Place
    let backrefs: Bool

    static func matches(_ regex: NSRegularExpression, _ text: String) -> NSTextCheckingResult? {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
    }

    func apply(to content: String) -> String {
        var lines = content.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let endedWithNewline = content.hasSuffix("\n")
        if endedWithNewline { lines.removeLast() }
        if content.isEmpty { lines = [] }

        if !present {
            lines.removeAll { existing in
                if let regexp { return Self.matches(regexp, existing) != nil }
                return existing == line
            }
            return join(lines, endedWithNewline: endedWithNewline)
        }
        guard let line else { return content }
        if let regexp, let index = lines.lastIndex(where: { Self.matches(regexp, $0) != nil }) {
            var replacement = line
            if backrefs, let m = Self.matches(regexp, lines[index]) {
                replacement = regexp.replacementString(for: m, in: lines[index], offset: 0, template: Self.template(line))
            }
            lines[index] = replacement
            return join(lines, endedWithNewline: true)
        }
        if backrefs { return content }  // no match: nothing to do, as in Ansible
        if regexp == nil, lines.contains(line) { return content }
        switch place {
        case .end:
            lines.append(line)
        case .beginning:
            lines.insert(line, at: 0)
        case .after(let anchor):
            if let i = lines.lastIndex(where: { Self.matches(anchor, $0) != nil }) { lines.insert(line, at: i + 1) } else { lines.append(line) }
        case .before(let anchor):
            if let i = lines.lastIndex(where: { Self.matches(anchor, $0) != nil }) { lines.insert(line, at: i) } else { lines.append(line) }
        }
        return join(lines, endedWithNewline: true)
    }

    func join(_ lines: [String], endedWithNewline: Bool) -> String {
        lines.isEmpty ? "" : lines.joined(separator: "\n") + (endedWithNewline ? "\n" : "")
    }

    /// Ansible's `\1` backreferences as NSRegularExpression's `$1`.
    static func template(_ line: String) -> String {
        let escaped = line.replacingOccurrences(of: "$", with: "\\$")
        return escaped.replacingOccurrences(of: #"\\(\d)"#, with: "\\$$1", options: .regularExpression)
    }
}
