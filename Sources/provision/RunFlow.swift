import Engine
import Foundation
import Inventory
import Playbook
import ProvisionCore

/// The one flow of a run, shared by push (`provision TARGET…`, over SSH) and pull
/// (`provision pull BUNDLE`, on this machine): load the playbook, the secrets file and the
/// generated secrets, mark and mask secrets, the preflight (exit 1 before any host is
/// touched), then the engine's run (facts, probes, apply, recap) and the exit code. The two
/// commands differ only in the `Provisioner` (which hosts) and the connector (how reached).
struct RunFlow {
    var options: RunOptions
    var playbookPath: String
    var targets: [String]
    var reporter: RunReporter
    var rollout: RollingUpdate? = nil

    /// Runs and leaves with the recap's exit code (`ProvisionExit`).
    func run(provisioner: Provisioner, connector: @escaping ConnectionPool.Connector) throws -> Never {
        let redactor = outputRedactor
        redactor.register(variables: options.extraVariables)
        for secret in SecretNames.shared.environmentSecrets() { redactor.register(secret) }
        let book = try PlaybookLoader.load(path: playbookPath)
        // Secrets rank just below -e: above the inventory and the playbook.
        let secretsPath = SecretsLocation.path(extraVariables: options.extraVariables, inventory: provisioner.inventory)
        provisioner.options.secretVariables = try SecretsFile.load(path: secretsPath)
        try createGeneratedSecrets(book: book, provisioner: provisioner, path: secretsPath)
        // Secrets by name (SecretNames): the user's `secret_names`, PROVISION_SECRET_NAMES, the secrets file's names.
        SecretNames.shared.markUserNames(
            layers: [options.extraVariables] + provisioner.inventory.hosts.map { provisioner.inventory.variables(for: $0.name) }
                + book.plays.map(\.vars),
            secretsFile: provisioner.options.secretVariables)
        redactor.register(variables: options.extraVariables)
        redactor.register(variables: provisioner.options.secretVariables)
        for host in provisioner.inventory.hosts { redactor.register(variables: provisioner.inventory.variables(for: host.name)) }
        // Mistakes in the playbook, inventory or -e: exit 1 with file:line, before any host is contacted.
        let problems = try RunPreflight.problems(
            playbook: book, inventory: provisioner.inventory, targets: targets, extraVariables: options.extraVariables,
            secretVariables: provisioner.options.secretVariables, tags: options.tags, skipTags: options.skipTags)
        if !problems.isEmpty {
            for problem in problems { FileHandle.standardError.write(Data("error: \(redactor.redact(problem.description))\n".utf8)) }
            throw ProvisionExit(status: ExitCode.usage)
        }
        let recap = try provisioner.run(playbook: book, targets: targets, reporter: reporter, redactor: redactor,
                                        connector: connector, rollout: rollout)
        throw ProvisionExit(status: ExitCode.forRecap(recap))
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
            FileHandle.standardError.write(Data("note: check mode: \(path) would get generated \(names); not written\n".utf8))
            return
        }
        let existed = FileManager.default.fileExists(atPath: path)
        try SecretsFile.initialize(path: path)
        provisioner.options.secretVariables = try SecretsFile.load(path: path)
        FileHandle.standardError.write(Data("note: \(existed ? "added" : "created \(path) (mode 0600) with") generated \(names)\(existed ? " to \(path)" : ""); keep it: every run and every host uses these values\n".utf8))
    }
}
