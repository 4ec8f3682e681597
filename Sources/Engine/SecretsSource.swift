import Cloud
import Foundation
import Inventory
import Playbook
import ProvisionCore

/// Where a run's secrets come from: the secrets file (`secrets_file`, default ./secrets.yml),
/// or, with `secrets_from: aws-secretsmanager://REGION/NAME`, AWS Secrets Manager through
/// the instance's role (pull mode: never in user-data). Named with `-e`, in the inventory's
/// `all` vars, or in `group_vars/all.yml` beside the playbook (the bundle's own config).
///
/// In Secrets Manager the operator's secret NAME holds what a person sets (e.g.
/// `db_admin_password`), as a JSON object of names to values; the generated secrets
/// (db_password, the salts, the admin password) live in `NAME/generated`, which the first
/// run that needs them creates. CreateSecret succeeds once: a run that loses that race reads
/// the winner's values, so every instance of a fleet gets the same salts.
public enum SecretsSource: Equatable, Sendable {
    case file(String)
    case secretsManager(region: String, name: String)

    static let scheme = "aws-secretsmanager://"

    /// The source `-e`, the inventory or the playbook's defaults name (in that order).
    public static func named(extraVariables: [String: Value], inventory: Inventory, playbookDefaults: [String: Value]) throws -> SecretsSource {
        let from = extraVariables["secrets_from"] ?? inventory.groups["all"]?.variables["secrets_from"] ?? playbookDefaults["secrets_from"]
        guard let text = from?.stringValue, !text.isEmpty else {
            return .file(SecretsLocation.path(extraVariables: extraVariables, inventory: inventory))
        }
        guard text.hasPrefix(scheme) else {
            throw InputError("secrets_from '\(text)' is not supported", hint: "give aws-secretsmanager://REGION/NAME, or leave it out for the secrets file")
        }
        let rest = text.dropFirst(scheme.count)
        guard let slash = rest.firstIndex(of: "/") else {
            throw InputError("secrets_from '\(text)' names no secret", hint: "e.g. aws-secretsmanager://ap-northeast-1/provision/wordpress")
        }
        let region = String(rest[..<slash]), name = String(rest[rest.index(after: slash)...])
        guard region.range(of: "^[a-z]{2}(-[a-z]+)+-[0-9]+$", options: .regularExpression) != nil else {
            throw InputError("secrets_from '\(text)': '\(region)' is not an AWS region", hint: "e.g. aws-secretsmanager://ap-northeast-1/provision/wordpress")
        }
        guard !name.isEmpty, name.count <= 500, name.range(of: "^[A-Za-z0-9/_+=.@-]+$", options: .regularExpression) != nil else {
            throw InputError("secrets_from '\(text)': '\(name)' is not a secret name (letters, digits and /_+=.@-)")
        }
        return .secretsManager(region: region, name: name)
    }

    /// The generated secrets' own secret in Secrets Manager.
    static func generatedName(_ name: String) -> String { name + "/generated" }

    /// Reads the operator's secret and the generated one (either may not exist yet).
    static func load(_ client: SecretsManagerClient, name: String) throws -> [String: Value] {
        var values: [String: Value] = [:]
        for id in [generatedName(name), name] {
            guard let text = try client.secretString(id) else { continue }
            values.merge(try parse(text, id: id)) { $1 }
        }
        return SecretsFile.asSecrets(values)
    }

    /// The generated secrets: the existing ones, or ours if we create them first, or the
    /// winner's if another run did (check mode: fresh values for this run, nothing created).
    static func generated(_ client: SecretsManagerClient, name: String, checkMode: Bool) throws -> (values: [String: Value], created: Bool) {
        let id = generatedName(name)
        if let text = try client.secretString(id) { return (SecretsFile.asSecrets(try parse(text, id: id)), false) }
        let fresh = SecretsFile.generatedValues(for: SecretsFile.generatedNames)
        if checkMode { return (SecretsFile.asSecrets(fresh), false) }
        if try client.createSecret(id, Value.dict(fresh).jsonText) { return (SecretsFile.asSecrets(fresh), true) }
        guard let text = try client.secretString(id) else {
            throw CloudError("secretsmanager: \(id) exists but cannot be read", code: "NotReadable")
        }
        return (SecretsFile.asSecrets(try parse(text, id: id)), false)
    }

    static func parse(_ text: String, id: String) throws -> [String: Value] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw InputError("the secret \(id) in Secrets Manager must be a JSON object of names to values",
                             hint: "e.g. {\"db_admin_password\": \"…\"}")
        }
        return object.mapValues(value)
    }

    static func value(_ any: Any) -> Value {
        switch any {
        case let s as String: return .string(s)
        case let b as Bool: return .bool(b)
        case let n as NSNumber: return .string(n.stringValue)
        case let l as [Any]: return .list(l.map(value))
        case let d as [String: Any]: return .dict(d.mapValues(value))
        default: return .null
        }
    }
}
