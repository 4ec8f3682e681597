import Foundation

/// What a variable may be called, written once: for `vars`, `register`, `loop_var`,
/// `set_fact` keys and every file of variables, letters, digits and `_`, not starting with a
/// digit (Python's identifiers, as Ansible takes them). An `environment:` name is stricter:
/// ASCII only, as a shell takes it.
public enum VariableName {
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.first, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    public static func isShellName(_ name: String) -> Bool {
        guard isValid(name) else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII }
    }
}
