import Foundation

/// A secret as it can appear in text the tool writes: as is, and as each encoder of the tool
/// writes it (a PHP string literal, HTML, a shell word, JSON from the template engine and
/// from Foundation — which writes `/` as `\/` —, an SQL literal, the secrets file's YAML).
/// Masking only the raw value would let `'p\'w'` in wp-config.php's diff show a password
/// with a quote, or `a\/b` in `--json` one with a slash.
public enum SecretForms {
    public static func of(_ secret: String) -> Set<String> {
        var forms: Set<String> = [secret]
        forms.insert(String(TextEscaping.phpString(secret).dropFirst().dropLast()))
        forms.insert(TextEscaping.html(secret))
        forms.insert(secret.replacingOccurrences(of: "'", with: "'\\''"))
        forms.insert(Shell.quote(secret))
        forms.insert(String(TextEscaping.jsonString(secret).dropFirst().dropLast()))
        forms.insert(foundationJSON(secret))
        forms.insert(TextEscaping.sqlString(secret))
        forms.insert(String(SecretsFile.yamlQuoted(secret).dropFirst().dropLast()))
        forms.remove("")
        return forms
    }

    /// The body of the JSON string JSONSerialization writes (the `--json` reporter, `Value.jsonText`).
    static func foundationJSON(_ secret: String) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: [secret], options: []) else { return secret }
        let text = String(decoding: data, as: UTF8.self)   // ["…"]
        guard text.hasPrefix("[\""), text.hasSuffix("\"]") else { return secret }
        return String(text.dropFirst(2).dropLast(2))
    }
}
