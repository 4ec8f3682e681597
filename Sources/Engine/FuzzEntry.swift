import Foundation
import Inventory
import Modules
import Playbook
import ProvisionCore
import Transport

/// One fuzz input for the playbook/inventory loader and the template engine, shared by the
/// libFuzzer target (Sources/ProvisionFuzz) and the seeded test in CI, so both run exactly
/// the same code. The first byte picks what it feeds: I inventory, T template, C `when:`
/// condition, S ssh_config, K known_hosts, E secrets file, A command-line values (one per
/// line: `-e` arguments, `--serial`, numbers), anything else a playbook.
public enum FuzzEntry {
    public static let variables: [String: Value] = [
        "name": "web-1", "n": 3, "pi": .double(3.5), "flag": true, "empty": "",
        "items": ["a", "b", 3], "map": ["k": "v", "n": 2], "nested": ["l": [1, 2, ["x": "y"]]],
        "secret": .secret(Secret("s3cr3t-value")), "none": .null,
    ]

    /// nil when the input was accepted or refused with a clear `InputError`; else the finding.
    public static func feed(_ data: [UInt8]) -> String? {
        guard let first = data.first else { return nil }
        let text = String(decoding: data.dropFirst(), as: UTF8.self)
        do {
            switch first {
            case UInt8(ascii: "I"):
                let inventory = try InventoryLoader.build(from: try YAMLDocument.loadValue(text: text, file: "inventory.yml"), file: "inventory.yml")
                for host in inventory.hosts { _ = inventory.variables(for: host.name) }
                for group in inventory.groups.keys { _ = try? inventory.resolve(group + ":!" + group) }
            case UInt8(ascii: "T"):
                _ = try? TemplateEngine.references(inTemplate: text)
                _ = try TemplateEngine.render(text, variables: variables, origin: SourceLocation(file: "t.j2", line: 1))
            case UInt8(ascii: "S"):
                let config = try SSHConfig.parse(text, file: "ssh_config")
                for name in ["web-1", "10.0.10.10", "db"] {
                    let resolved = config.resolve(name, address: "10.0.10.10")
                    _ = NumberRules.milliseconds(TimeInterval(resolved.connectTimeout ?? 10))
                    _ = KnownHosts.hostKeyName(resolved.hostName ?? name, port: resolved.port ?? 22)
                }
            case UInt8(ascii: "K"):
                let knownHosts = KnownHosts(parsing: text)
                for entry in knownHosts.entries.prefix(64) {
                    _ = knownHosts.check(name: "web-1", keyType: entry.keyType, key: entry.key)
                    _ = entry.fingerprint
                    _ = KnownHosts.keyType(ofBlob: entry.key)
                }
                _ = knownHosts.check(name: "[web-1]:2222", keyType: "ssh-ed25519", key: Array("key".utf8))
            case UInt8(ascii: "E"):
                let loaded = try YAMLDocument.loadValue(text: text, file: "secrets.yml")
                if case .dict(let d) = loaded.value {
                    let redactor = Redactor()
                    redactor.register(variables: SecretsFile.asSecrets(d))
                    _ = redactor.redact(text)
                    _ = SecretMask(variables: d).maskDiff(before: text, after: text)
                }
            case UInt8(ascii: "A"):
                for line in text.split(separator: "\n").prefix(64).map(String.init) {
                    _ = try? ExtraVars.parse([line], baseDirectory: "/nonexistent/fuzz")
                    _ = try? BatchSize(parsing: line)
                    _ = try? NumberRules.parse(line, "value", NumberRules.seconds, source: "fuzz")
                    _ = try? NumberRules.parse(line, "port", NumberRules.port, source: "fuzz")
                }
            case UInt8(ascii: "C"):
                _ = try? TemplateEngine.references(inCondition: text)
                _ = try TemplateEngine.evaluateCondition(text, variables: variables)
            default:
                let playbook = try PlaybookLoader.load(text: text, file: "fuzz.yml", baseDirectory: "/nonexistent/fuzz")
                _ = PlaybookValidator.validate(playbook: playbook, knownVariables: Set(variables.keys))
            }
            return nil
        } catch let error as InputError {
            return error.description.isEmpty ? "an InputError without a message" : nil
        } catch {
            return "not an InputError: \(type(of: error)): \(error)"
        }
    }
}
