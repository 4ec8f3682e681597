import Foundation

/// A secret as it can appear in rendered text: as is, and as the template filters and
/// quoting functions write it (a PHP string literal, HTML, a shell word). Masking only the
/// raw value would let `'p\'w'` in wp-config.php's diff show a password with a quote.
public enum SecretForms {
    public static func of(_ secret: String) -> Set<String> {
        var forms: Set<String> = [secret]
        forms.insert(String(TextEscaping.phpString(secret).dropFirst().dropLast()))
        forms.insert(TextEscaping.html(secret))
        forms.insert(secret.replacingOccurrences(of: "'", with: "'\\''"))
        return forms
    }
}
