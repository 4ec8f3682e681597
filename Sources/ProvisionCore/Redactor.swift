import Foundation

/// Masks every known secret in text about to be printed, logged or written as JSON.
/// Output paths call `redact` once, so a secret that slipped into a message (an error
/// from a remote command, a diff line) is still never shown.
public final class Redactor: @unchecked Sendable {
    private let lock = NSLock()
    private var secrets: Set<String> = []
    /// The values registered so far, as given: registering one again (every task's rendered
    /// arguments do) costs a set lookup, not its nine escaped forms.
    private var registered: Set<String> = []
    /// `secrets` longest first (so a secret containing another is masked whole), sorted
    /// when a secret is registered, not on every redaction.
    private var longestFirst: [String] = []

    public init() {}

    public func register(_ secret: Secret) {
        let text = secret.reveal()
        // Very short values would mask ordinary words; passwords and salts are longer.
        guard text.count >= 4 else { return }
        lock.lock()
        defer { lock.unlock() }
        guard registered.insert(text).inserted else { return }
        let forms = SecretForms.of(text)
        guard !forms.isSubset(of: secrets) else { return }
        secrets.formUnion(forms)
        longestFirst = secrets.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// Registers every secret inside `value`.
    public func register(_ value: Value) {
        switch value {
        case .secret(let s): register(s)
        case .list(let l): l.forEach(register)
        case .dict(let d): d.values.forEach(register)
        default: break
        }
    }

    /// Registers the secrets among variables: `.secret` values, and every string under a
    /// secret name (`SecretNames`), whatever layer the variables come from.
    public func register(variables: [String: Value], names: SecretNames = .shared) {
        for (name, value) in variables { register(names.seal(name, value)) }
    }

    public func redact(_ text: String) -> String {
        lock.lock()
        let current = longestFirst
        lock.unlock()
        var result = text
        for secret in current where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: "********")
        }
        return result
    }
}
