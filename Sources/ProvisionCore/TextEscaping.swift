import Foundation

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

    /// A JSON string literal, quotes included, as the template engine's `to_json` writes it
    /// (`/` is not escaped; Foundation's `\/` is `SecretForms.foundationJSON`).
    package static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    /// What `mysql_real_escape_string` makes of a value inside SQL quotes (the MySQL client's
    /// redaction, and a form `SecretForms` masks).
    package static func sqlString(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "\0": out += "\\0"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\"": out += "\\\""
            case "\u{1A}": out += "\\Z"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
