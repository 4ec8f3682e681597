import ArgumentParser
import Engine
import Foundation
import Playbook
import ProvisionCore
import Transport

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Run a bundle's playbook on this machine (local transport, no SSH): pull mode, e.g. at boot.",
        discussion: """
            The bundle (from `provision bundle`) is verified against its manifest before anything runs. \
            The run is the same as a push: modules, facts, variables (-e, the secrets file), check mode, \
            recap, --json and exit codes.
            """)

    @Argument(help: "Bundle file, or an http(s) URL.")
    var bundle: String

    @Option(name: .long, help: "SHA-256 the bundle file must have.")
    var sha256: String?

    @Option(name: .long, help: "This host's name in the output and as inventory_hostname.")
    var hostName = "localhost"

    @Option(name: .short, help: "Extra variables: key=value, @file.yml or JSON; highest precedence.")
    var extraVars: [String] = []

    @Flag(name: .long, help: "Change nothing; report what would change.")
    var check = false

    @Flag(name: .long, help: "Show file and package changes.")
    var diff = false

    @Option(name: .long, help: "Only run tasks with these tags (comma-separated).")
    var tags: String?

    @Option(name: .long, help: "Skip tasks with these tags (comma-separated).")
    var skipTags: String?

    @Flag(name: .long, help: "One JSON object per line, then a recap object.")
    var json = false

    @Flag(name: .short, help: "More detail (repeat for more).")
    var verbose: Int

    @OptionGroup var lock: LockOptions
    @OptionGroup var vault: VaultOptions

    func run() throws {
        try vault.install()
        let verified = try PlaybookBundle.verify(try PlaybookBundle.load(bundle, sha256: sha256))
        var options = RunOptions()
        options.verbose = verbose
        lock.apply(to: &options, mode: "pull")
        options.checkMode = check
        options.diffMode = diff
        options.tags = tags.map(RunCommand.list) ?? []
        options.skipTags = skipTags.map(RunCommand.list) ?? []
        options.extraVariables = try ExtraVars.parse(extraVars)
        outputRedactor.register(variables: options.extraVariables)

        let directory = NSTemporaryDirectory() + "provision-pull-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let playbookPath = try verified.extract(to: directory)
        let reporter = makeReporter(json: json, verbose: verbose)
        let host = hostName
        let flow = RunFlow(options: options, playbookPath: playbookPath, targets: [host], reporter: reporter)
        try flow.runAndExit(provisioner: Provisioner(localHost: host, options: options),
                     connector: { _ in LocalConnection(hostName: host) })
    }
}
