import Foundation
import ProvisionCore

/// `service`/`systemd`: a service started, stopped, restarted or reloaded, and enabled at
/// boot or not; systemd hosts through systemctl, others through `service` and
/// `update-rc.d`/`chkconfig`.
public struct ServiceModule: Module {
    public static let spec = ModuleSpec(
        name: "service", aliases: ["systemd", "systemd_service"],
        parameters: [
            ParameterSpec("name", required: true),
            ParameterSpec("state", choices: ["started", "stopped", "restarted", "reloaded"]),
            ParameterSpec("enabled", .bool),
        ],
        requiredOneOf: [["state", "enabled"]],
        make: { try ServiceModule($0) })

    let name: String
    let state: String?
    let enabled: Bool?

    init(_ args: ModuleArguments) throws {
        name = try args.requiredString("name")
        try NameRules.check(name, as: .service, module: args.module, parameter: "name", at: args.locations["name"] ?? args.taskLocation)
        state = args.has("state") ? try args.choice("state") : nil
        enabled = args.has("enabled") ? try args.bool("enabled") : nil
        if state == nil && enabled == nil {
            throw InputError("service: give state or enabled", at: args.taskLocation)
        }
    }

    public func probe(_ context: TaskContext) throws -> String? {
        let n = Shell.quote(name)
        // Debian's packages enable their services on install and start them unless
        // policy-rc.d forbids it: what check mode predicts for a service not installed yet.
        let installPolicy = context.facts.packageManager == .apt
            ? "\nif [ -x /usr/sbin/policy-rc.d ]; then echo install_starts=no; else echo install_starts=yes; fi" : ""
        if context.facts.initSystem == .systemd {
            // One `systemctl show` answers all three (a service task on a no-op starts one
            // process, not three); `is-enabled` only where the unit file state says nothing
            // (a unit generated from an init script: is-enabled asks its rc links).
            return """
                systemctl show -p LoadState -p ActiveState -p UnitFileState -- \(n) 2>/dev/null | {
                  l=; a=; e=
                  while IFS== read -r k v; do case $k in LoadState) l=$v;; ActiveState) a=$v;; UnitFileState) e=$v;; esac; done
                  case $l in ''|not-found) echo exists=no;; *) echo exists=yes;; esac
                  echo "active=${a:-inactive}"
                  case $e in ''|generated|transient) e=$(systemctl is-enabled -- \(n) 2>/dev/null);; esac
                  echo "enabled=$e"; }
                """ + installPolicy
        }
        return """
            if [ -x /etc/init.d/\(n) ]; then echo exists=yes; else echo exists=no; fi
            if service \(n) status >/dev/null 2>&1; then echo active=active; else echo active=inactive; fi
            if ls /etc/rc[2345].d/S[0-9][0-9]\(n) >/dev/null 2>&1; then echo enabled=enabled; else echo enabled=disabled; fi
            """ + installPolicy
    }

    public struct Plan: Sendable {
        var action: String?
        var enable: Bool?
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan> {
        var fields: [String: String] = [:]
        for line in probe?.lines ?? [] {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        let exists = fields["exists"] == "yes"
        var active = fields["active"] == "active" || fields["active"] == "reloading"
        var isEnabled = ["enabled", "enabled-runtime", "static", "alias", "indirect"].contains(fields["enabled"] ?? "")
        if !exists && !context.checkMode {
            throw ModuleError("service \(name) not found on \(context.hostName) (is its package installed?)")
        }
        // Check mode, service not installed yet: on apt hosts the install enables it (and
        // starts it unless policy-rc.d says no); elsewhere (AL's "disable *" preset) neither.
        let byPackage = !exists && context.facts.packageManager == .apt
        if byPackage {
            isEnabled = true
            active = fields["install_starts"] == "yes"
        }
        var plan = Plan()
        var summary: [String] = []
        switch state {
        case "started" where !active: plan.action = "start"
        case "stopped" where active: plan.action = "stop"
        case "restarted": plan.action = "restart"
        case "reloaded": plan.action = active ? "reload" : "start"
        default: break
        }
        if let action = plan.action { summary.append("\(action) \(name)") }
        if let enabled, enabled != isEnabled || (!exists && !byPackage) {
            plan.enable = enabled
            summary.append("\(enabled ? "enable" : "disable") \(name)")
        }
        let described = "\(active ? "running" : "stopped")\(isEnabled ? ", enabled" : "")"
        guard !summary.isEmpty else {
            return .ok(byPackage ? "\(name) will be \(described) by its package's install" : "\(name) is \(described)")
        }
        return .change(summary: summary.joined(separator: ", ") + (exists ? "" : " (once installed)"), plan: plan)
    }

    public func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        let n = Shell.quote(name)
        let systemd = context.facts.initSystem == .systemd
        if let enable = plan.enable {
            let command: String
            if systemd {
                command = "systemctl \(enable ? "enable" : "disable") -- \(n)"
            } else if enable {
                command = "if command -v chkconfig >/dev/null 2>&1; then chkconfig \(n) on; else update-rc.d \(n) defaults >/dev/null && update-rc.d \(n) enable; fi"
            } else {
                command = "if command -v chkconfig >/dev/null 2>&1; then chkconfig \(n) off; else update-rc.d \(n) disable; fi"
            }
            try context.run(command, what: "\(enable ? "enabling" : "disabling") \(name)")
        }
        if let action = plan.action {
            let command = systemd ? "systemctl \(action) -- \(n)" : "service \(n) \(action)"
            // Init scripts leave daemons holding their stdout: log to a file, never to the channel.
            let script = "log=$(mktemp)\nif \(command) >\"$log\" 2>&1 </dev/null; then rm -f \"$log\"; else tail -5 \"$log\" >&2; rm -f \"$log\"; exit 1; fi"
            try context.run(script, what: "\(action) \(name)")
        }
        return TaskOutcome(changed: true)
    }
}
