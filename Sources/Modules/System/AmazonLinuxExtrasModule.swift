import Foundation
import ProvisionCore

/// `amazon_linux_extras`: topics enabled (or disabled) on Amazon Linux 2, e.g. `php8.2`.
/// Enabling a topic only makes its packages installable; install them with `package`,
/// as AWS documents (`enable`, `yum clean metadata`, `yum install`).
public struct AmazonLinuxExtrasModule: Module {
    public static let spec = ModuleSpec(
        name: "amazon_linux_extras",
        parameters: [
            ParameterSpec("name", .list, required: true),
            ParameterSpec("state", choices: ["present", "enabled", "absent", "disabled"], default: "present"),
        ],
        make: { try AmazonLinuxExtrasModule($0) })

    let topics: [String]
    let enable: Bool

    init(_ args: ModuleArguments) throws {
        topics = try args.list("name") ?? []
        for topic in topics where topic.hasPrefix("-") || topic.isEmpty || !topic.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) {
            throw InputError("amazon_linux_extras: '\(topic)' is not a topic name", at: args.locations["name"] ?? args.taskLocation)
        }
        enable = ["present", "enabled"].contains(try args.choice("state"))
    }

    public func probe(_ context: TaskContext) throws -> String? {
        "if command -v amazon-linux-extras >/dev/null 2>&1; then amazon-linux-extras list 2>/dev/null; else echo '--missing'; fi"
    }

    /// Topic name -> enabled, from `amazon-linux-extras list` lines such as
    /// ` 58  php8.0=latest            enabled      [ =stable ]`.
    public static func parseList(_ output: String) -> [String: Bool] {
        var topics: [String: Bool] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 3, Int(fields[0].trimmingCharacters(in: .whitespaces)) != nil else { continue }
            let name = fields[1].split(separator: "=").first.map(String.init) ?? String(fields[1])
            topics[name] = fields[2] == "enabled"
        }
        return topics
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<[String]> {
        let output = probe?.output ?? ""
        if output.contains("--missing") {
            throw ModuleError("amazon-linux-extras is not available on \(context.hostName): it exists only on Amazon Linux 2")
        }
        let known = Self.parseList(output)
        for topic in topics where known[topic] == nil {
            let hint = Suggestions.closest(to: topic, in: known.keys).map { " (did you mean \($0)?)" } ?? ""
            throw ModuleError("amazon-linux-extras has no topic '\(topic)'\(hint)")
        }
        let pending = topics.filter { known[$0] != enable }
        guard !pending.isEmpty else { return .ok() }
        return .change(summary: "\(enable ? "enable" : "disable") " + pending.joined(separator: ", "), plan: pending)
    }

    public func apply(_ pending: [String], _ context: TaskContext) throws -> TaskOutcome {
        for topic in pending {
            try context.run("amazon-linux-extras \(enable ? "enable" : "disable") \(Shell.quote(topic)) >/dev/null", what: "amazon-linux-extras \(topic)")
        }
        try context.run("yum clean metadata >/dev/null", what: "yum clean metadata")
        return TaskOutcome(changed: true)
    }
}
