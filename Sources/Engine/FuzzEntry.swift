import Foundation
import Inventory
import Playbook
import ProvisionCore

/// One fuzz input for the playbook/inventory loader and the template engine, shared by the
/// libFuzzer target (Sources/ProvisionFuzz) and the seeded test in CI, so both run exactly
/// the same code. The first byte picks what it feeds: I inventory, T template, C `when:`
/// condition, anything else a playbook.
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
