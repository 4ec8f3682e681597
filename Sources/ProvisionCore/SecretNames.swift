import Foundation

/// Which variables are secrets, by name, wherever their value comes from (`-e`, the
/// inventory, group_vars, play vars, the secrets file, the environment).
///
/// A name is a secret when, lower-cased, it contains `password`, `passwd`, `passphrase`,
/// `secret`, `key`, `salt` or `token` (a name ending in `_file`, `_path` or `_dir` names
/// where a secret is, not the secret: `ansible_ssh_private_key_file` stays visible), when
/// the secrets file defines it, or when the user marks it: the variable `secret_names` (a
/// list of names or `*` patterns, from `-e`, the inventory or group_vars) or the
/// environment variable `PROVISION_SECRET_NAMES` (comma-separated).
///
/// A secret name's strings are read as `.secret` values (numbers and booleans stay what
/// they are): the template engine marks anything rendered from them secret, and the
/// `Redactor` masks them in every output.
public final class SecretNames: @unchecked Sendable {
    /// The names of the current run (the CLI marks the user's names here before a run).
    public static let shared = SecretNames()

    public static let builtInWords = ["password", "passwd", "passphrase", "secret", "key", "salt", "token"]
    static let locationSuffixes = ["_file", "_path", "_dir"]
    /// The variable that marks more names.
    public static let variable = "secret_names"
    public static let environmentVariable = "PROVISION_SECRET_NAMES"

    private let lock = NSLock()
    private var marked: [String] = []

    public init() {}

    /// Marks names (exact, or `*`/`?` patterns), case-insensitively.
    public func mark<S: Sequence>(_ names: S) where S.Element == String {
        let cleaned = names.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        lock.lock()
        marked += cleaned
        lock.unlock()
    }

    /// Forgets the marked names (tests).
    public func reset() {
        lock.lock()
        marked = []
        lock.unlock()
    }

    public func isSecret(_ name: String) -> Bool {
        let lower = name.lowercased()
        lock.lock()
        let patterns = marked
        lock.unlock()
        if patterns.contains(where: { Glob.matches(lower, $0) }) { return true }
        if Self.locationSuffixes.contains(where: lower.hasSuffix) { return false }
        return Self.builtInWords.contains(where: lower.contains)
    }

    /// `value` as the variable `name` is read: every string under a secret name becomes a
    /// `.secret`; inside a dictionary, keys are names too (`wordpress_salts.AUTH_KEY`).
    public func seal(_ name: String, _ value: Value) -> Value {
        if isSecret(name) { return Self.sealAll(value) }
        switch value {
        case .dict(let d): return .dict(Dictionary(uniqueKeysWithValues: d.map { ($0.key, seal($0.key, $0.value)) }))
        case .list(let l): return .list(l.map { item in if case .dict = item { return seal(name, item) } else { return item } })
        default: return value
        }
    }

    package static func sealAll(_ value: Value) -> Value {
        switch value {
        case .string(let s): return .secret(Secret(s))
        case .list(let l): return .list(l.map(sealAll))
        case .dict(let d): return .dict(d.mapValues(sealAll))
        default: return value
        }
    }

    /// Every variable of `variables` sealed by name.
    public func seal(_ variables: [String: Value]) -> [String: Value] {
        Dictionary(uniqueKeysWithValues: variables.map { ($0.key, seal($0.key, $0.value)) })
    }

    /// The names `secret_names` marks in one layer of variables (a list, or one comma-separated string).
    public static func markedNames(in variables: [String: Value]) -> [String] {
        switch variables[variable] {
        case .list(let l)?: return l.map(\.text)
        case .string(let s)?: return s.split(separator: ",").map(String.init)
        default: return []
        }
    }

    /// Marks what the user marked: `secret_names` of each layer, the environment's list, and
    /// every name the secrets file defines.
    public func markUserNames(layers: [[String: Value]], secretsFile: [String: Value],
                              environment: [String: String] = ProcessInfo.processInfo.environment) {
        for layer in layers { mark(Self.markedNames(in: layer)) }
        if let list = environment[Self.environmentVariable] { mark(list.split(separator: ",").map(String.init)) }
        mark(secretsFile.keys)
    }

    /// Values of the environment variables provision reads (`PROVISION_*`, `AWS_*`) whose
    /// names are secrets (PROVISION_DB_PASSWORD, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, …),
    /// for the redactor.
    public func environmentSecrets(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> [Secret] {
        environment.filter { ($0.key.hasPrefix("PROVISION_") || $0.key.hasPrefix("AWS_")) && isSecret($0.key) && !$0.value.isEmpty }
            .map { Secret($0.value) }
    }
}
