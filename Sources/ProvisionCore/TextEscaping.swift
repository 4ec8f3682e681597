/// The escapings a value goes through on its way into a file: Jinja's `e` (HTML) and
/// `php_string` (wp-config.php). In the lowest layer because secrets are masked in every
/// form they can be written in (`SecretForms`), and the template filters use the same.
package enum TextEscaping {
    /// Jinja's `e`: text safe inside HTML.
    package static func html(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// A PHP single-quoted string literal, quotes included: `'` -> `\'`, `\` -> `\\`.
    package static func phpString(_ s: String) -> String {
        var out = "'"
        for c in s {
            if c == "\\" { out += "\\\\" } else if c == "'" { out += "\\'" } else { out.append(c) }
        }
        return out + "'"
    }
}
