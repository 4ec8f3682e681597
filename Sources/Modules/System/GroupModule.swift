import Foundation
import ProvisionCore

/// `group`: a local group present (with a gid, created as a system group) or absent.
/// Probed with `getent group`; applied with groupadd/groupmod/groupdel.
public struct GroupModule: Module {
    public static let spec = ModuleSpec(
        name: "group", summary: "A local group present (with its gid) or absent.",
        parameters: [
            ParameterSpec("name", required: true),
            ParameterSpec("state", choices: ["present", "absent"], default: "present"),
            ParameterSpec("gid", .int),
            ParameterSpec("system", .bool, default: false),
        ],
        make: { try GroupModule($0) })

    let name: String
    let present: Bool
    let gid: Int?
    let system: Bool

    init(_ args: ModuleArguments) throws {
        name = try args.requiredString("name")
        try Accounts.checkName(name, as: .group, args)
        present = try args.choice("state") == "present"
        gid = try Accounts.id(args, "gid")
        system = try args.bool("system")
    }

    public func probe(_ context: TaskContext) throws -> String? {
        Accounts.groupProbe(name, key: "group")
    }

    public struct Plan: Sendable, Equatable {
        /// Shell commands, every word quoted.
        var commands: [String]
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan> {
        let current = Accounts.groups(Accounts.fields(probe), key: "group")[name]
        let n = Shell.quote(name)
        guard present else {
            guard current != nil else { return .ok("group \(name) is absent") }
            return .change(summary: "remove group \(name)", plan: Plan(commands: ["groupdel -- \(n)"]))
        }
        guard let current else {
            var words = ["groupadd"]
            var details: [String] = []
            if let gid { words += ["-g", String(gid)]; details.append("gid \(gid)") }
            if system { words.append("-r"); details.append("system") }
            return .change(summary: "create group \(name)" + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))"),
                           plan: Plan(commands: [(words + ["--", n]).joined(separator: " ")]))
        }
        if let gid, gid != current.gid {
            return .change(summary: "group \(name): gid \(current.gid) -> \(gid)", plan: Plan(commands: ["groupmod -g \(gid) -- \(n)"]))
        }
        return .ok("group \(name) exists (gid \(current.gid))")
    }

    public func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        for command in plan.commands { try context.run(command, what: "group \(name)") }
        return TaskOutcome(changed: true)
    }
}
