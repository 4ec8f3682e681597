/// The one function that puts a value into a POSIX shell command line.
/// Everything user-controlled that reaches a shell goes through here.
public enum Shell {
    /// Single-quotes `value` so that `sh` reads it back byte for byte. Only words made of
    /// characters no shell treats specially stay bare; a word with `=` (an assignment in
    /// first position) or a leading `-` (an option) is quoted too, so it reads as data.
    /// Quoting does not stop a command from reading `'-x'` as an option: operands also
    /// follow `--`, and names are checked by `NameRules`.
    public static func quote(_ value: String) -> String {
        if !value.isEmpty, !value.hasPrefix("-"),
            value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:@%+,".contains($0)) }) {
            return value
        }
        return "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Joins already-separate arguments into one safely quoted command line.
    public static func join(_ arguments: [String]) -> String {
        arguments.map(quote).joined(separator: " ")
    }
}
