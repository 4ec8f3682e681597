/// The names that reach a remote command as operands (services, packages, users, groups),
/// checked with the rules of the tools that define them, so none can be read as an
/// option, a second operand or shell syntax, whatever quoting or `--` does downstream.
///
/// - service: a systemd unit name (`systemd.unit(5)`): letters, digits, `:_.\-@`, at most
///   255 characters; also an init script's file name, so no `/`. Never a leading `-` or `.`.
/// - package: a Debian package name (`deb-control(5)`: `[a-z0-9][a-z0-9+.-]+`) or an RPM
///   name (also upper case and `_`), optionally `:arch` and `=version` (apt's pin, Debian
///   version characters `[A-Za-z0-9.+~:-]`); `*` only inside a name (a pattern, as apt and
///   dnf take it), never first.
/// - user, group: shadow's `useradd`/`groupadd` rule relaxed as Debian's `--badname` and
///   Amazon Linux allow it: `[A-Za-z_][A-Za-z0-9_.-]*` with an optional trailing `$`, at most
///   32 characters; or a numeric id (0…4294967294, as `chown` takes it).
public enum NameRules {
    public enum Kind: String, Sendable, CaseIterable {
        case service, package, user, group
    }

    /// Nil when `name` is acceptable as `kind`, else the reason.
    public static func problem(_ name: String, as kind: Kind) -> String? {
        guard !name.isEmpty else { return "is empty" }
        if name.hasPrefix("-") { return "starts with '-' (it would be read as an option)" }
        if let bad = name.unicodeScalars.first(where: { $0.value < 0x21 || $0.value > 0x7e }) {
            return bad.value == 0x20 ? "contains a space" : "contains a control or non-ASCII character (U+\(String(bad.value, radix: 16, uppercase: true)))"
        }
        switch kind {
        case .service: return serviceProblem(name)
        case .package: return packageProblem(name)
        case .user, .group: return accountProblem(name)
        }
    }

    /// Throws an `InputError` naming the module, the parameter and the rule.
    public static func check(_ name: String, as kind: Kind, module: String, parameter: String, at location: SourceLocation?) throws {
        if let problem = problem(name, as: kind) {
            throw InputError("\(module): \(parameter) '\(name)' is not a valid \(kind.rawValue) name: it \(problem)", at: location)
        }
    }

    /// `owner:group` as `chown` takes it, each part checked.
    public static func check(owner: String?, group: String?, module: String, at location: SourceLocation?) throws {
        if let owner { try check(owner, as: .user, module: module, parameter: "owner", at: location) }
        if let group { try check(group, as: .group, module: module, parameter: "group", at: location) }
    }

    static let letters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    static let digits = Set("0123456789")

    static func serviceProblem(_ name: String) -> String? {
        if name.count > 255 { return "is longer than 255 characters" }
        if name.hasPrefix(".") { return "starts with '.'" }
        if let c = name.first(where: { !(letters.contains($0) || digits.contains($0) || ":_.-@\\".contains($0)) }) {
            return "contains '\(c)' (a unit name has letters, digits and : _ . - @ only)"
        }
        return nil
    }

    static func packageProblem(_ name: String) -> String? {
        var rest = Substring(name)
        var version: Substring?
        if let eq = rest.firstIndex(of: "=") {
            version = rest[rest.index(after: eq)...]
            rest = rest[..<eq]
        }
        var arch: Substring?
        if let colon = rest.firstIndex(of: ":") {
            arch = rest[rest.index(after: colon)...]
            rest = rest[..<colon]
        }
        guard let first = rest.first else { return "has no package name before ':' or '='" }
        guard letters.contains(first) || digits.contains(first) else { return "starts with '\(first)' (a package name starts with a letter or digit)" }
        if let c = rest.first(where: { !(letters.contains($0) || digits.contains($0) || "+.-_*".contains($0)) }) {
            return "contains '\(c)' (a package name has letters, digits and + . - _ only)"
        }
        if let arch {
            if arch.isEmpty || arch.contains(where: { !(letters.contains($0) || digits.contains($0) || $0 == "-" || $0 == "_") }) {
                return "has an invalid architecture ':\(arch)'"
            }
        }
        if let version {
            guard let v = version.first, letters.contains(v) || digits.contains(v) else { return "has an empty or invalid version after '='" }
            if let c = version.first(where: { !(letters.contains($0) || digits.contains($0) || ".+~:-_*".contains($0)) }) {
                return "contains '\(c)' in its version (a version has letters, digits and . + ~ : - _ only)"
            }
        }
        return nil
    }

    static func accountProblem(_ name: String) -> String? {
        if name.allSatisfy({ digits.contains($0) }) {
            guard name.count <= 10, let id = UInt64(name), id <= 4_294_967_294 else { return "is a numeric id out of range (0…4294967294)" }
            return nil
        }
        if name.count > 32 { return "is longer than 32 characters" }
        guard let first = name.first, letters.contains(first) || first == "_" else {
            return "starts with '\(name.first.map(String.init) ?? "")' (a name starts with a letter or '_')"
        }
        var body = Substring(name)
        if body.hasSuffix("$") { body = body.dropLast() }
        if let c = body.first(where: { !(letters.contains($0) || digits.contains($0) || "_.-".contains($0)) }) {
            return "contains '\(c)' (a name has letters, digits and _ . - only, and may end in $)"
        }
        return nil
    }
}
