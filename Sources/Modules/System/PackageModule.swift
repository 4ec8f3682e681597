import Foundation
import ProvisionCore

/// `package`, `apt`, `dnf`, `yum`: packages present, latest or absent, in one transaction;
/// `name: '*'` with `state: latest` updates everything.
public struct PackageModule: Module {
    public static let spec = ModuleSpec(
        name: "package", aliases: ["apt", "dnf", "yum"],
        parameters: [
            ParameterSpec("name", .list, aliases: ["pkg"]),
            ParameterSpec("state", choices: ["present", "installed", "latest", "absent", "removed"], default: "present"),
            ParameterSpec("update_cache", .bool, aliases: ["update-cache"], default: false),
            ParameterSpec("cache_valid_time", .int),
            ParameterSpec("use"),
        ],
        requiredOneOf: [["name", "update_cache"]],
        make: { try PackageModule($0) })

    enum State { case present, latest, absent }

    let names: [String]
    let state: State
    let updateCache: Bool
    let cacheValidTime: Int?
    /// The manager the module name forces (`apt`, `dnf`, `yum`); nil for `package`.
    let forcedManager: Facts.PackageManager?

    init(_ args: ModuleArguments) throws {
        names = try args.list("name") ?? []
        for name in names where name != "*" {
            try NameRules.check(name, as: .package, module: args.module, parameter: "name", at: args.locations["name"] ?? args.taskLocation)
        }
        switch try args.choice("state") {
        case "latest": state = .latest
        case "absent", "removed": state = .absent
        default: state = .present
        }
        updateCache = try args.bool("update_cache")
        cacheValidTime = try args.int("cache_valid_time")
        let use = try args.string("use")
        forcedManager = ["apt": .apt, "dnf": .dnf, "yum": .yum][args.module] ?? use.flatMap(Facts.PackageManager.init(rawValue:))
        if names.contains("*") && (names.count > 1 || state != .latest) {
            throw InputError("\(args.module): name '*' goes alone with state: latest (update all packages)", at: args.taskLocation)
        }
    }

    var updateAll: Bool { names == ["*"] }

    func commands(_ context: TaskContext) throws -> PackageManagerCommands {
        let manager = forcedManager ?? context.facts.packageManager
        guard manager != .unknown else { throw ModuleError("no supported package manager (apt, dnf, yum) found on \(context.hostName)") }
        return PackageManagerCommands(manager: manager)
    }

    public func probe(_ context: TaskContext) throws -> String? {
        let pm = try commands(context)
        var parts: [String] = []
        // apt's lists change only by `apt-get update`: their age is read first. dnf and yum
        // refresh expired metadata (metadata_expire) by themselves, check-update included:
        // their age is read after the probe's own query, as the next command would find it.
        if updateCache && pm.manager == .apt { parts.append(pm.cacheAgeProbe) }
        if updateAll {
            parts.append("echo '--upgradable'")
            parts.append(pm.queryUpgradable([], mayWrite: !context.checkMode))
        } else if !names.isEmpty {
            parts.append("echo '--installed'")
            parts.append(pm.queryInstalled(names))
            if state == .latest {
                parts.append("echo '--upgradable'")
                parts.append(pm.queryUpgradable(names, mayWrite: !context.checkMode))
            }
        }
        if updateCache && pm.manager != .apt { parts.append(pm.cacheAgeProbe) }
        return parts.joined(separator: "\n")
    }

    public struct Plan: Sendable {
        var refreshCache: Bool
        var install: [String]
        var upgrade: [String]
        var remove: [String]
        var upgradeAll: Bool
    }

    public func decide(_ probe: ProbeResult?, _ context: TaskContext) throws -> Decision<Plan> {
        var section = ""
        var installed: Set<String> = []
        var upgradable: Set<String> = []
        var cacheAge: Int?
        for line in probe?.lines ?? [] {
            if line.hasPrefix("cache_age=") { cacheAge = Int(line.dropFirst(10)); continue }
            if line.hasPrefix("--") { section = String(line); continue }
            guard !line.isEmpty else { continue }
            let name = String(line.split(separator: "\t").first ?? line)
            if section == "--installed" { installed.insert(name) } else if section == "--upgradable" { upgradable.insert(name) }
        }
        // apt installs by exact name; strip an `=version` pin when comparing.
        func bare(_ n: String) -> String { String(n.split(separator: "=").first ?? Substring(n)) }
        var plan = Plan(refreshCache: false, install: [], upgrade: [], remove: [], upgradeAll: false)
        let cacheStale = cacheValidTime.map { valid in (cacheAge ?? Int.max) > valid } ?? true
        switch state {
        case _ where updateAll:
            plan.upgradeAll = !upgradable.isEmpty
        case .present:
            plan.install = names.filter { !installed.contains(bare($0)) }
        case .latest:
            plan.install = names.filter { !installed.contains(bare($0)) }
            plan.upgrade = names.filter { installed.contains(bare($0)) && upgradable.contains(bare($0)) }
        case .absent:
            plan.remove = names.filter { installed.contains(bare($0)) }
        }
        // With packages named, the cache is refreshed only on the way to installing something:
        // nothing to install means nothing to refresh for. Alone, it refreshes when stale.
        let installing = !plan.install.isEmpty || !plan.upgrade.isEmpty || plan.upgradeAll
        // Updating everything can only be judged against fresh lists: a stale cache means
        // refresh, then upgrade whatever turns out outdated (changed only if something was).
        plan.refreshCache = updateCache && cacheStale && (names.isEmpty || updateAll || installing)
        if updateAll && plan.refreshCache { plan.upgradeAll = true }
        // Check mode cannot refresh (it writes nothing), and the real run counts a refresh that
        // finds nothing outdated as ok: predict from the lists the host has now, and say so.
        if updateAll && plan.refreshCache && upgradable.isEmpty && context.checkMode
            && plan.install.isEmpty && plan.upgrade.isEmpty && plan.remove.isEmpty {
            return .ok("nothing outdated on the current package lists (older than \(cacheValidTime ?? 0) s: a real run refreshes them first)")
        }
        var summary: [String] = []
        if plan.refreshCache && !installing && !updateAll { summary.append("update the package cache") }
        if updateAll && plan.refreshCache && upgradable.isEmpty {
            summary.append("refresh the package cache (older than \(cacheValidTime ?? 0) s) and upgrade what is outdated")
        }
        if !plan.install.isEmpty { summary.append("install " + plan.install.joined(separator: ", ")) }
        if !plan.upgrade.isEmpty { summary.append("upgrade " + plan.upgrade.joined(separator: ", ")) }
        if !plan.remove.isEmpty { summary.append("remove " + plan.remove.joined(separator: ", ")) }
        if plan.upgradeAll && !upgradable.isEmpty { summary.append("upgrade \(upgradable.count) package(s): " + upgradable.sorted().prefix(8).joined(separator: ", ") + (upgradable.count > 8 ? ", …" : "")) }
        guard !summary.isEmpty else {
            if updateAll { return .ok("all packages up to date") }
            return .ok(names.isEmpty ? "package cache is fresh" : "\(names.count) package(s) as wanted")
        }
        let diff = FileDiff(path: "packages", before: nil,
                            after: (plan.install.map { "+" + $0 } + plan.upgrade.map { "^" + $0 } + plan.remove.map { "-" + $0 }).joined(separator: " "))
        return .change(summary: summary.joined(separator: "; "), diff: diff, plan: plan)
    }

    public func apply(_ plan: Plan, _ context: TaskContext) throws -> TaskOutcome {
        let pm = try commands(context)
        // Install needs current metadata; refresh first when asked, or when apt's lists are empty.
        if plan.refreshCache || (pm.manager == .apt && !plan.install.isEmpty && !plan.refreshCache && needsFirstUpdate(context)) {
            try context.run(pm.updateCache(), what: "updating the package cache")
        }
        if plan.upgradeAll {
            // After a refresh, look again: only an actual upgrade counts as a change.
            let outdated = try context.run(pm.queryUpgradable([]), what: "listing upgradable packages").stdoutText
                .split(separator: "\n").filter { !$0.isEmpty }
            if outdated.isEmpty && plan.install.isEmpty && plan.upgrade.isEmpty && plan.remove.isEmpty {
                return TaskOutcome(changed: false, message: "package cache refreshed; all packages up to date")
            }
            if !outdated.isEmpty { try context.run(pm.upgrade([]), what: "upgrading all packages") }
        }
        // dnf and yum resolve names the probe may not (globs, name.arch, provides): a
        // transaction they answer "Nothing to do" changed nothing.
        var outputs: [String] = []
        if !plan.install.isEmpty { outputs.append(try context.run(pm.install(plan.install), what: "installing " + plan.install.joined(separator: " ")).stdoutText) }
        if !plan.upgrade.isEmpty { outputs.append(try context.run(pm.upgrade(plan.upgrade), what: "upgrading " + plan.upgrade.joined(separator: " ")).stdoutText) }
        if !plan.remove.isEmpty { outputs.append(try context.run(pm.remove(plan.remove), what: "removing " + plan.remove.joined(separator: " ")).stdoutText) }
        if pm.manager != .apt, !outputs.isEmpty, !plan.upgradeAll, outputs.allSatisfy(PackageManagerCommands.nothingToDo) {
            return TaskOutcome(changed: plan.refreshCache, message: "nothing to do (\(pm.manager.rawValue) found every package installed)")
        }
        if pm.manager == .apt {
            // dpkg's status changed, so the kept pending-upgrades answer is stale: computed
            // now, while the run pays for package work anyway, the next no-op (and every host
            // launched from an image of this one) finds it current instead of paying ~0.5 s
            // of apt on each host. Best effort: the next probe recomputes it if this fails.
            _ = try? context.run("{ \(pm.queryUpgradable([])); } >/dev/null", what: "noting pending upgrades")
        }
        return TaskOutcome(changed: true)
    }

    /// A fresh Debian image ships without package lists: `apt-get install` would fail.
    func needsFirstUpdate(_ context: TaskContext) -> Bool {
        let r = try? context.connection.run("ls /var/lib/apt/lists/ 2>/dev/null | grep -q _Packages", stdin: Data(), become: false, timeout: 30, onOutput: nil)
        return r?.exitStatus != 0
    }
}
