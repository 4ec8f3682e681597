import ProvisionCore

/// A module's documentation, made from its spec: `provision doc MODULE` and the README's
/// module table print these, so the docs cannot drift from what validate accepts.
extension ModuleSpec {
    /// The README table row: name, other names, parameters (required in bold).
    public var referenceRow: String {
        let parameters = self.parameters.map { p -> String in
            var text = p.required ? "**\(p.name)**" : p.name
            if let choices = p.choices { text += " (\(choices.joined(separator: "/")))" }
            if !p.aliases.isEmpty { text += " = " + p.aliases.joined(separator: ", ") }
            return text
        }
        return "| `\(name)` | \(aliases.map { "`\($0)`" }.joined(separator: ", ")) | \(parameters.joined(separator: ", ")) |"
    }

    /// `provision doc MODULE`: one line per parameter, then the rules between parameters.
    public var reference: String {
        var lines = [name + (aliases.isEmpty ? "" : " (also: \(aliases.joined(separator: ", ")))")]
        if !summary.isEmpty { lines.append("  " + summary) }
        lines.append("")
        lines.append("parameters:")
        for p in parameters {
            var facts = [p.kind.rawValue]
            if p.required { facts.append("required") }
            if let choices = p.choices { facts.append("one of " + choices.joined(separator: ", ")) }
            if let d = p.defaultValue { facts.append("default " + (p.secret ? "********" : d.text)) }
            if !p.aliases.isEmpty { facts.append("aliases " + p.aliases.joined(separator: ", ")) }
            if p.secret { facts.append("secret") }
            lines.append("  \(p.name): " + facts.joined(separator: "; "))
        }
        for group in requiredOneOf where group.count > 1 {
            lines.append("at least one of: " + group.joined(separator: ", "))
        }
        for group in mutuallyExclusive {
            lines.append("at most one of: " + group.joined(separator: ", "))
        }
        if let freeFormParameter {
            lines.append("free form: '\(name): TEXT' sets \(freeFormParameter) (key=value words for the others)")
        }
        if runsOncePerPlay { lines.append("runs once per play, not once per host") }
        return lines.joined(separator: "\n")
    }
}
