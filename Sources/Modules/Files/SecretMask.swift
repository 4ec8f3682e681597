import Foundation
import Playbook
import ProvisionCore

/// Masks secret values in `--diff` text of files rendered from secrets. The engine's
/// redactor masks the current secret values; this also masks what stood at the same
/// place in the old file (an old password is still a password): a line of the new
/// content that holds a secret becomes a pattern (text before and after the secret),
/// and an old line that fits the pattern has its middle masked.
public struct SecretMask: Sendable {
    public static let mask = "********"
    /// What an old secret in `before` shows when the new one differs.
    public static let previousMask = "********(old)"
    let secrets: [String]

    public init(secrets: [String]) {
        // Longest first, so a secret containing another is masked whole; very short values
        // would mask ordinary text (the Redactor makes the same choice).
        self.secrets = Array(Set(secrets.filter { $0.count >= 4 }.flatMap(SecretForms.of))).sorted { $0.count > $1.count }
    }

    /// Every secret value among `variables` (by kind, or by name: `SecretNames`; a templated
    /// one as it renders), revealed, for masking only.
    public init(variables: [String: Value]) {
        var found: [String] = []
        var sealed = SecretNames.shared.seal(variables)
        for (name, value) in variables where value.hasTemplate && SecretNames.shared.isSecret(name) {
            if let rendered = try? TemplateEngine.renderValue(value, variables: variables) { sealed[name] = SecretNames.sealAll(rendered) }
        }
        func walk(_ v: Value) {
            switch v {
            case .secret(let s): found.append(s.reveal())
            case .list(let l): l.forEach(walk)
            case .dict(let d): d.values.forEach(walk)
            default: break
            }
        }
        sealed.values.forEach(walk)
        self.init(secrets: found)
    }

    public var isEmpty: Bool { secrets.isEmpty }

    public func touches(_ text: String) -> Bool { secrets.contains { text.contains($0) } }

    public func maskValues(_ text: String) -> String {
        var result = text
        for s in secrets where result.contains(s) { result = result.replacingOccurrences(of: s, with: Self.mask) }
        return result
    }

    /// Masks `after` and `before`, using the lines of `after` that held secrets as patterns for `before`.
    public func maskDiff(before: String?, after: String) -> (before: String?, after: String) {
        var patterns: [(prefix: String, suffix: String, raw: String)] = []
        for line in after.split(separator: "\n", omittingEmptySubsequences: false) {
            let masked = maskValues(String(line))
            guard masked != line, let first = masked.range(of: Self.mask), let last = masked.range(of: Self.mask, options: .backwards) else { continue }
            patterns.append((String(masked[..<first.lowerBound]), String(masked[last.upperBound...]), String(line)))
        }
        let maskedBefore = before.map { text in
            text.split(separator: "\n", omittingEmptySubsequences: false).map { raw -> String in
                let line = maskValues(String(raw))
                for p in patterns where line.count >= p.prefix.count + p.suffix.count
                    && line.hasPrefix(p.prefix) && line.hasSuffix(p.suffix) && !(p.prefix.isEmpty && p.suffix.isEmpty) {
                    // A secret that changed stays visible as a change, its values masked both sides.
                    return p.prefix + (raw == p.raw ? Self.mask : Self.previousMask) + p.suffix
                }
                return line
            }.joined(separator: "\n")
        }
        return (maskedBefore, maskValues(after))
    }
}
