import Foundation
import ProvisionCore

/// A wanted file mode: octal (`'0644'`) or symbolic (`'u=rwX,g=rX,o='`), resolved against
/// the current mode the way Ansible does (symbolic clauses left to right; `X` only for
/// directories and files that already have an execute bit; a clause without `u/g/o/a`
/// is masked by a umask of 022, the remote default).
public enum FileMode: Sendable, Equatable, CustomStringConvertible {
    case octal(Int)
    case symbolic(String)

    static let umask = 0o022

    public var description: String {
        switch self {
        case .octal(let m): return FileMode.format(m)
        case .symbolic(let s): return s
        }
    }

    /// `0644` style text for a mode.
    public static func format(_ mode: Int) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Parses a parameter: ints and digit strings as octal (as ModuleArguments.mode does),
    /// anything else as symbolic clauses, checked here so mistakes fail before connecting.
    static func parse(_ args: ModuleArguments, _ name: String) throws -> FileMode? {
        guard let value = args.values[name], value != .null else { return nil }
        if case .string(let s) = value, !s.isEmpty, !s.allSatisfy(\.isNumber) {
            do {
                _ = try applySymbolic(s, to: 0o644, isDirectory: false)
            } catch {
                throw args.error(name, "must be an octal mode like '0644' or symbolic like 'u=rw,g=r,o=', not '\(s)'")
            }
            return .symbolic(s)
        }
        return try args.mode(name).map(FileMode.octal)
    }

    /// The mode a file ends up with, given its current mode (or the mode it is created with).
    public func resolve(current: Int, isDirectory: Bool) -> Int {
        switch self {
        case .octal(let m): return m
        case .symbolic(let s): return (try? Self.applySymbolic(s, to: current, isDirectory: isDirectory)) ?? current
        }
    }

    /// The argument for `chmod`.
    public var chmodArgument: String {
        switch self {
        case .octal(let m): return Self.format(m)
        case .symbolic(let s): return s
        }
    }

    struct BadMode: Error {}

    /// Ansible's `_symbolic_mode_to_octal`.
    static func applySymbolic(_ text: String, to start: Int, isDirectory: Bool) throws -> Int {
        var mode = start & 0o7777
        for clause in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let firstOp = clause.firstIndex(where: { "+-=".contains($0) }) else { throw BadMode() }
            var users = String(clause[..<firstOp])
            guard users.allSatisfy({ "ugoa".contains($0) }) else { throw BadMode() }
            let useUmask = users.isEmpty
            if users.isEmpty || users == "a" { users = "ugo" }
            users = users.replacingOccurrences(of: "a", with: "ugo")
            // Operator/permission pairs: "+rw-x" -> [("+","rw"), ("-","x")]
            var pairs: [(Character, String)] = []
            for ch in clause[firstOp...] {
                if "+-=".contains(ch) { pairs.append((ch, "")) } else {
                    guard "rwxXstugo".contains(ch) else { throw BadMode() }
                    pairs[pairs.count - 1].1.append(ch)
                }
            }
            for (op, perms) in pairs {
                for user in users {
                    let bits = permissionBits(user: user, perms: perms, useUmask: useUmask, previous: mode, isDirectory: isDirectory)
                    mode = applyOperation(user: user, op: op, bits: bits, to: mode)
                }
            }
        }
        return mode
    }

    private static func permissionBits(user: Character, perms: String, useUmask: Bool, previous: Int, isDirectory: Bool) -> Int {
        let applyX = isDirectory || previous & 0o111 != 0
        let keep = useUmask ? (0o7777 ^ umask) : 0o7777
        var bits = 0
        for p in perms {
            switch (user, p) {
            case ("u", "r"): bits |= 0o400 & keep
            case ("u", "w"): bits |= 0o200 & keep
            case ("u", "x"): bits |= 0o100 & keep
            case ("u", "X"): bits |= applyX ? 0o100 : 0
            case ("u", "s"): bits |= 0o4000
            case ("u", "u"): bits |= previous & 0o700
            case ("u", "g"): bits |= (previous & 0o070) << 3
            case ("u", "o"): bits |= (previous & 0o007) << 6
            case ("g", "r"): bits |= 0o040 & keep
            case ("g", "w"): bits |= 0o020 & keep
            case ("g", "x"): bits |= 0o010 & keep
            case ("g", "X"): bits |= applyX ? 0o010 : 0
            case ("g", "s"): bits |= 0o2000
            case ("g", "u"): bits |= (previous & 0o700) >> 3
            case ("g", "g"): bits |= previous & 0o070
            case ("g", "o"): bits |= (previous & 0o007) << 3
            case ("o", "r"): bits |= 0o004 & keep
            case ("o", "w"): bits |= 0o002 & keep
            case ("o", "x"): bits |= 0o001 & keep
            case ("o", "X"): bits |= applyX ? 0o001 : 0
            case ("o", "t"): bits |= 0o1000
            case ("o", "u"): bits |= (previous & 0o700) >> 6
            case ("o", "g"): bits |= (previous & 0o070) >> 3
            case ("o", "o"): bits |= previous & 0o007
            default: break
            }
        }
        return bits
    }

    private static func applyOperation(user: Character, op: Character, bits: Int, to mode: Int) -> Int {
        switch op {
        case "=":
            let mask = user == "u" ? 0o4700 : user == "g" ? 0o2070 : 0o1007
            return (mode & (0o7777 ^ mask)) | bits
        case "+": return mode | bits
        default: return mode & ~bits
        }
    }

    /// A `find` predicate true for a path whose mode differs from what this mode makes of it
    /// (symbolic links excluded: chmod skips them). Cheap: `find` stops at the first.
    func findMismatchPredicate() throws -> String {
        switch self {
        case .octal(let m):
            return "! -type l ! -perm \(Self.format(m))"
        case .symbolic:
            // Symbolic modes act on each file as (mode & ~clear) | set, per kind of file;
            // derive clear/set per kind and check that form holds on sample modes.
            func form(isDirectory: Bool, hasExec: Bool) throws -> (clear: Int, set: Int) {
                let lows = hasExec ? [0o100, 0o010, 0o001] : [0]
                let set = lows.map { resolve(current: $0, isDirectory: isDirectory) }.reduce(0o7777, &)
                let top = isDirectory || hasExec ? 0o7777 : 0o7666
                let clear = ~resolve(current: top, isDirectory: isDirectory) & 0o7777
                let samples = [0, 0o644, 0o755, 0o700, 0o600, 0o640, 0o750, 0o4755, 0o1777, 0o111, 0o100, 0o001, 0o777, 0o7777]
                for m in samples where isDirectory || (m & 0o111 != 0) == hasExec {
                    guard resolve(current: m, isDirectory: isDirectory) == (m & ~clear) | set else {
                        throw ModuleError("mode '\(description)' copies permissions between classes; with recurse use an octal mode or r/w/x/X clauses")
                    }
                }
                return (clear, set)
            }
            func mismatch(_ f: (clear: Int, set: Int)) -> String {
                var parts: [String] = []
                if f.set != 0 { parts.append("! -perm -\(Self.format(f.set))") }
                let mustBeClear = f.clear & ~f.set
                if mustBeClear != 0 { parts.append("-perm /\(Self.format(mustBeClear))") }
                return parts.isEmpty ? "-false" : "\\( " + parts.joined(separator: " -o ") + " \\)"
            }
            let dir = mismatch(try form(isDirectory: true, hasExec: true))
            let exec = mismatch(try form(isDirectory: false, hasExec: true))
            let plain = mismatch(try form(isDirectory: false, hasExec: false))
            return "\\( -type d \(dir) -o ! -type d ! -type l -perm /0111 \(exec) -o ! -type d ! -type l ! -perm /0111 \(plain) \\)"
        }
    }
}
