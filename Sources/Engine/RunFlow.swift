import Cloud
import Foundation
import Inventory
import Playbook
import ProvisionCore

/// The one flow of a run, shared by push (`provision TARGET…`, over SSH) and pull
/// (`provision pull BUNDLE`, on this machine): load the playbook, the secrets file and the
/// generated secrets, mark and mask secrets, the preflight (rejected before any host is
/// touched), then the engine's run (facts, probes, apply, recap). The two commands differ
/// only in the `Provisioner` (which hosts) and the connector (how reached); the command
/// line prints what this returns and leaves with its exit code.
public struct RunFlow {
    public var options: RunOptions
    public var playbookPath: String
    public var targets: [String]
    public var reporter: RunReporter
    public var redactor: Redactor
    public var rollout: RollingUpdate?
    /// A line for the user about the secrets file (created, extended); never a secret.
    public var note: (String) -> Void

    public init(options: RunOptions, playbookPath: String, targets: [String], reporter: RunReporter,
                redactor: Redactor, rollout: RollingUpdate? = nil, note: @escaping (String) -> Void) {
        self.options = options
        self.playbookPath = playbookPath
        self.targets = targets
        self.reporter = reporter
        self.redactor = redactor
        self.rollout = rollout
        self.note = note
    }

    public enum Outcome {
        /// Mistakes in the playbook, inventory or `-e`, each with file:line (redacted): no host was contacted.
        case rejected([String])
        case ran([(String, HostRecap)])

        public var exitCode: Int32 {
            switch self {
            case .rejected: return ExitCode.usage
            case .ran(let recap): return ExitCode.forRecap(recap)
            }
        }
    }

    public func run(provisioner: Provisioner, connector: @escaping ConnectionPool.Connector) throws -> Outcome {
        redactor.register(variables: options.extraVariables)
        for secret in SecretNames.shared.environmentSecrets() { redactor.register(secret) }
        let book = try Self.load(playbookPath: playbookPath, options: options)
        try provisioner.readVarsDirectories(besidePlaybook: playbookPath)
        // Secrets rank just below -e: above the inventory and the playbook.
        let defaults = try book.plays.first.map { try PlaybookRunner.loadDefaults($0) } ?? [:]
        switch try SecretsSource.named(extraVariables: options.extraVariables, inventory: provisioner.inventory, playbookDefaults: defaults) {
        case .file(let secretsPath):
            provisioner.options.secretVariables = try SecretsFile.load(path: secretsPath)
            try createGeneratedSecrets(book: book, provisioner: provisioner, path: secretsPath)
        case .secretsManager(let region, let name):
            try loadFromSecretsManager(region: region, name: name, book: book, provisioner: provisioner)
        }
        // Secrets by name (SecretNames): the user's `secret_names`, PROVISION_SECRET_NAMES, the secrets file's names.
        SecretNames.shared.markUserNames(
            layers: [options.extraVariables] + provisioner.inventory.hosts.map { provisioner.inventory.variables(for: $0.name) }
                + book.plays.map(\.vars),
            secretsFile: provisioner.options.secretVariables)
        redactor.register(variables: options.extraVariables)
        redactor.register(variables: provisioner.options.secretVariables)
        for host in provisioner.inventory.hosts { redactor.register(variables: provisioner.inventory.variables(for: host.name)) }
        let problems = try RunPreflight.problems(
            playbook: book, inventory: provisioner.inventory, targets: targets, extraVariables: options.extraVariables,
            secretVariables: provisioner.options.secretVariables, tags: options.tags, skipTags: options.skipTags)
        guard problems.isEmpty else { return .rejected(problems.map { redactor.redact($0.description) }) }
        return .ran(try provisioner.run(playbook: book, targets: targets, reporter: reporter, redactor: redactor,
                                        connector: connector, rollout: rollout))
    }

    /// The playbook as this run sees it: loaded, then `-b` and `--start-at-task` applied.
    public static func load(playbookPath: String, options: RunOptions) throws -> Playbook {
        var book = try PlaybookLoader.load(path: playbookPath)
        if options.becomeByDefault { book = book.becomingByDefault() }
        if let name = options.startAtTask { book = try book.startingAt(task: name) }
        return book
    }

    /// `secrets_from: aws-secretsmanager://REGION/NAME` (`SecretsSource`): the operator's
    /// secret and the generated one, which the first run that needs it creates; the
    /// environment's `PROVISION_DB_*` still win, as over the secrets file.
    func loadFromSecretsManager(region: String, name: String, book: Playbook, provisioner: Provisioner) throws {
        let client = try SecretsManagerClient(region: region, credentials: try AWSCredentials.resolve())
        var values = try SecretsSource.load(client, name: name)
        values.merge(SecretsFile.environmentValues()) { $1 }
        provisioner.options.secretVariables = values
        let needed = try RunPreflight.generatedSecretsNeeded(
            playbook: book, inventory: provisioner.inventory, targets: targets,
            extraVariables: provisioner.options.extraVariables, secretVariables: values)
        guard !needed.isEmpty else { return }
        let (generated, created) = try SecretsSource.generated(client, name: name, checkMode: options.checkMode)
        provisioner.options.secretVariables = generated.merging(values) { $1 }
        let id = SecretsSource.generatedName(name)
        if options.checkMode {
            note("check mode: Secrets Manager would get \(id) with the generated secrets; not created")
        } else if created {
            note("created \(id) in Secrets Manager (\(region)) with the generated secrets; every host reads the same values")
        }
    }

    /// Generated secrets the playbook reads and nothing defines are made on first use, into
    /// the secrets file (in check mode: for this run only, the file is not written).
    func createGeneratedSecrets(book: Playbook, provisioner: Provisioner, path: String) throws {
        let needed = try RunPreflight.generatedSecretsNeeded(
            playbook: book, inventory: provisioner.inventory, targets: targets,
            extraVariables: provisioner.options.extraVariables, secretVariables: provisioner.options.secretVariables)
        guard !needed.isEmpty else { return }
        let names = needed.sorted().joined(separator: ", ")
        if options.checkMode {
            provisioner.options.secretVariables.merge(SecretsFile.asSecrets(SecretsFile.generatedValues(for: needed))) { $1 }
            note("check mode: \(path) would get generated \(names); not written")
            return
        }
        let existed = FileManager.default.fileExists(atPath: path)
        try SecretsFile.initialize(path: path)
        provisioner.options.secretVariables = try SecretsFile.load(path: path)
        note("\(existed ? "added" : "created \(path) (mode 0600) with") generated \(names)\(existed ? " to \(path)" : ""); keep it: every run and every host uses these values")
    }
}

/// Where the secrets file is: `-e secrets_file=…`, the inventory's `secrets_file`, else ./secrets.yml.
public enum SecretsLocation {
    public static let defaultPath = "secrets.yml"

    public static func path(extraVariables: [String: Value], inventory: Inventory) -> String {
        if let path = extraVariables["secrets_file"]?.stringValue { return path }
        if let path = inventory.groups["all"]?.variables["secrets_file"]?.stringValue { return path }
        return defaultPath
    }
}
