import ArgumentParser
import Engine
import Foundation
import Inventory
import Playbook
import ProvisionCore

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a playbook on hosts or groups (the default command).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var lock: LockOptions
    @OptionGroup var vault: VaultOptions

    @Option(name: [.short, .long], help: "Playbook to run (default: the built-in WordPress job, see `provision --version`); a TARGET ending in .yml is one too.")
    var playbook: String?

    @Option(name: [.short, .long], help: "Extra variables: key=value, @file.yml or JSON; highest precedence.")
    var extraVars: [String] = []

    @Flag(name: [.customShort("C"), .long], help: "Change nothing; report what would change.")
    var check = false

    @Flag(name: [.customShort("D"), .long], help: "Show file and package changes.")
    var diff = false

    @Flag(name: [.short, .long], help: "Plays that do not say `become:` run their tasks as root.")
    var become = false

    @Option(name: .long, help: "Only root (the default) is supported.")
    var becomeUser: String?

    @Option(name: .long, help: "Only sudo (the default) is supported.")
    var becomeMethod: String?

    @Flag(name: [.customShort("K"), .customLong("ask-become-pass")], help: "Not supported: the login user needs sudo without a password (or is root).")
    var askBecomePass = false

    @Option(name: .long, help: ArgumentHelp("Start at the first task of this name (or shell pattern).", valueName: "NAME"))
    var startAtTask: String?

    @Flag(name: .long, help: "List each play's hosts; contact none.")
    var listHosts = false

    @Flag(name: .long, help: "List each play's tasks (as --tags selects them); contact no host.")
    var listTasks = false

    @Flag(name: .long, help: "List each play's task tags; contact no host.")
    var listTags = false

    @Flag(name: .long, help: "Check the playbook (as `provision validate`); contact no host.")
    var syntaxCheck = false

    @Flag(name: .long, help: "Run notified handlers on a host even after one of its tasks failed.")
    var forceHandlers = false

    @Option(name: [.short, .long], help: "Further limit the hosts (pattern).")
    var limit: String?

    @Option(name: .long, help: "Run each play on this many hosts (or percent: 30%) at a time, batch after batch.")
    var serial: String?

    @Option(name: .long, help: ArgumentHelp("Rolling update behind an ALB: each batch (--serial, default 1) leaves this target group, is provisioned and health-checked, and goes back.", valueName: "ARN"))
    var lbTargetGroup: String?

    @Option(name: .long, help: "Stop a rolling update when more than this percentage of the hosts handled so far failed (default 0).")
    var maxFailPercentage: Int?

    @Option(name: .long, help: "Rolling update: GET this path on each provisioned host before it goes back (default / with --lb-target-group).")
    var healthCheckPath: String?

    @Option(name: .long, help: "Rolling update: port of the health check.")
    var healthCheckPort = 80

    @Option(name: .long, help: ArgumentHelp("Rolling update: seconds a host has to answer 200.", valueName: "SECONDS"))
    var healthCheckTimeout = 60

    @Option(name: [.short, .long], help: "Only run tasks with these tags (comma-separated).")
    var tags: String?

    @Option(name: .long, help: "Skip tasks with these tags (comma-separated).")
    var skipTags: String?

    @Argument(help: "Hosts or groups to run on (`all` for every host), or the playbook (a name ending in .yml or .yaml).")
    var targets: [String] = []

    func run() throws {
        try vault.install()
        try refuseUnsupportedBecome()
        let (playbookArgument, hostTargets) = try CommandLineTargets.playbookAndHosts(targets, playbookOption: playbook)
        var options = connection.runOptions()
        options.becomeByDefault = become
        options.startAtTask = startAtTask
        lock.apply(to: &options, mode: "push")
        options.checkMode = check
        options.diffMode = diff
        options.forceHandlers = forceHandlers
        options.tags = tags.map(Self.list) ?? []
        options.skipTags = skipTags.map(Self.list) ?? []
        options.extraVariables = try ExtraVars.parse(extraVars)
        outputRedactor.register(variables: options.extraVariables)
        options.serial = try serial.map { try BatchSize(parsing: $0) }
        let patterns = CommandLineTargets.limited(hostTargets, to: limit)

        let playbookPath = try playbookArgument ?? DefaultPlaybook.locate()
        if syntaxCheck || listHosts || listTasks || listTags {
            return try list(playbookPath: playbookPath, patterns: patterns, options: options)
        }
        let provisioner = try Provisioner(inventoryPath: connection.inventory, sshConfigPath: connection.sshConfig,
                                          targets: patterns, options: options)
        let reporter = connection.reporter()
        let flow = RunFlow(options: options, playbookPath: playbookPath, targets: patterns, reporter: reporter,
                           rollout: try RollingUpdate.requested(
                               serial: options.serial, targetGroupARN: lbTargetGroup, maxFailPercentage: maxFailPercentage,
                               healthCheckPath: healthCheckPath, healthCheckPort: healthCheckPort, healthCheckTimeout: healthCheckTimeout))
        try flow.runAndExit(provisioner: provisioner, connector: connection.connector(options: options, reporter: reporter))
    }

    /// `--syntax-check`, `--list-hosts`, `--list-tasks`, `--list-tags`: the playbook as a run
    /// would load it (-b, --start-at-task applied), nothing contacted.
    func list(playbookPath: String, patterns: [String], options: RunOptions) throws {
        let book = try RunFlow.load(playbookPath: playbookPath, options: options)
        let provisioner = try Provisioner(inventoryPath: connection.inventory, sshConfigPath: connection.sshConfig,
                                          targets: patterns, options: options)
        try provisioner.readVarsDirectories(besidePlaybook: playbookPath)
        if syntaxCheck {
            let problems = RunPreflight.validate(playbook: book, inventory: provisioner.inventory)
            for problem in problems { FileHandle.standardError.write(Data("error: \(problem)\n".utf8)) }
            guard problems.isEmpty else { throw ProvisionExit(status: ExitCode.usage) }
            if !(listHosts || listTasks || listTags) { print("\nplaybook: \(playbookPath)"); return }
        }
        var parts: PlaybookListing.Parts = []
        if listHosts { parts.insert(.hosts) }
        if listTasks { parts.insert(.tasks) }
        if listTags { parts.insert(.tags) }
        let hosts = provisioner.plays(of: book, targets: patterns).map(\.hosts)
        for line in PlaybookListing.lines(of: book, path: playbookPath, hosts: hosts, parts: parts, tags: options.tags, skipTags: options.skipTags) {
            print(line)
        }
    }

    func refuseUnsupportedBecome() throws {
        if askBecomePass {
            throw InputError("-K/--ask-become-pass is not supported: provision never prompts",
                             hint: "give the login user sudo without a password (NOPASSWD), or log in as root")
        }
        if let becomeUser, becomeUser != "root" {
            throw InputError("--become-user \(becomeUser): only root is supported yet", hint: "leave it out (root is the default)")
        }
        if let becomeMethod, becomeMethod != "sudo" {
            throw InputError("--become-method \(becomeMethod): only sudo is supported", hint: "leave it out (sudo is the default)")
        }
    }

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

struct PingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping", abstract: "Connect, authenticate and run `true` with sudo on each host.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "Hosts or groups (default: all).")
    var targets: [String] = []

    func run() throws {
        let options = connection.runOptions()
        let provisioner = try Provisioner(inventoryPath: connection.inventory, sshConfigPath: connection.sshConfig,
                                          targets: targets, options: options)
        let reporter = connection.reporter()
        let recap = try provisioner.ping(targets: targets, reporter: reporter,
                                         connector: connection.connector(options: options, reporter: reporter))
        throw ProvisionExit(status: ExitCode.forRecap(recap))
    }
}

struct HostsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hosts",
        abstract: "List the hosts targets resolve to, how each is reached, and the plays each would run.",
        discussion: """
            A target is an inventory host or group, or a pattern over them; a name the inventory \
            does not define is a host of its own when ssh could reach it (a Host line in ssh_config, \
            an IP address or a DNS name), and joins the group 'web' that the built-in playbooks target. \
            Each play runs on its hosts: pattern limited to the targets.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .short, help: "Playbook whose plays are shown (default: the built-in WordPress job).")
    var playbook: String?

    @OptionGroup var vault: VaultOptions

    @Argument(help: "Hosts or groups (default: all).")
    var targets: [String] = []

    func run() throws {
        try vault.install()
        let provisioner = try Provisioner(inventoryPath: connection.inventory, sshConfigPath: connection.sshConfig,
                                          targets: targets, options: connection.runOptions())
        let playbookPath = try playbook ?? DefaultPlaybook.locate()
        let book = try PlaybookLoader.load(path: playbookPath)
        try provisioner.readVarsDirectories(besidePlaybook: playbookPath)
        let plays = provisioner.plays(of: book, targets: targets)
        for name in try provisioner.hosts(matching: targets) {
            let host = provisioner.resolver.resolve(name)
            let groups = provisioner.inventory.groups(of: name).filter { $0 != "all" }
            let origin = CommandLineTargets.origin(of: name, in: provisioner.inventoryFromFiles)
            let playNames = plays.filter { $0.hosts.contains(name) }.map(\.name)
            if connection.json {
                let object: [String: Any] = ["host": name, "address": host.address, "port": host.port, "user": host.user,
                                             "groups": groups, "from": origin, "plays": playNames, "playbook": playbookPath]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                let runs = playNames.isEmpty ? "no play" : playNames.joined(separator: ", ")
                print("\(name)\t\(host.user)@\(host.address):\(host.port)\t\(groups.joined(separator: ","))\t(\(origin))\tplays: \(runs)")
            }
        }
        if !connection.json { print("# plays from \(playbookPath)") }
    }
}

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check a playbook without connecting to any host.")

    @Option(name: .short, help: "Inventory whose variables count as defined.")
    var inventory: String?

    @OptionGroup var vault: VaultOptions

    @Argument(help: "Playbook to check (default: the built-in WordPress job).")
    var playbook: String?

    func run() throws {
        try vault.install()
        let playbook = try self.playbook ?? DefaultPlaybook.locate()
        let book = try PlaybookLoader.load(path: playbook)
        // The run's own checks (RunPreflight), without hosts, secrets or -e.
        let problems = RunPreflight.validate(playbook: book, inventory: try inventory.map { try InventoryLoader.load(path: $0) } ?? Inventory())
        for problem in problems {
            FileHandle.standardError.write(Data("error: \(problem)\n".utf8))
        }
        guard problems.isEmpty else { throw ProvisionExit(status: ExitCode.usage) }
        print("\(playbook): ok (\(book.plays.count) play\(book.plays.count == 1 ? "" : "s"), \(book.plays.reduce(0) { $0 + $1.tasks.count }) tasks)")
    }
}
