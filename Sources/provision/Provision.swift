import ArgumentParser
import Engine
import Foundation
import Playbook
import ProvisionCore

@main
struct Provision: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provision",
        abstract: "Turn fresh EC2 instances into WordPress web servers over SSH, idempotently.",
        discussion: """
            Exit codes: 0 all good, 1 usage or configuration error, 2 some task failed, \
            4 some host unreachable, 130/143 stopped by SIGINT/SIGTERM (after the running tasks).
            """,
        version: versionText(),
        subcommands: [RunCommand.self, PingCommand.self, HostsCommand.self, ValidateCommand.self, SecretsCommand.self,
                      DocCommand.self, BundleCommand.self, PullCommand.self, CloudInitCommand.self],
        defaultSubcommand: RunCommand.self)

    /// Usage errors exit 1 (not ArgumentParser's 64): scripts rely on 0/1/2/4.
    static func main() {
        StopSignals.install()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as InputError {
            FileHandle.standardError.write(Data(outputRedactor.redact("error: \(error)\n").utf8))
            Foundation.exit(ExitCode.usage)
        } catch let code as ProvisionExit {
            Foundation.exit(StopSignals.status(code.status))
        } catch {
            let status = exitCode(for: error)
            if status == .success {
                exit(withError: error)
            }
            FileHandle.standardError.write(Data(outputRedactor.redact(fullMessage(for: error) + "\n").utf8))
            Foundation.exit(status.rawValue == 64 || status.rawValue == 1 ? ExitCode.usage : status.rawValue)
        }
    }
}

/// `provision --version`: the version and which playbook a run without -p would use.
func versionText() -> String {
    let playbook = (try? DefaultPlaybook.locate()) ?? "none found (looked in \(DefaultPlaybook.candidates().joined(separator: ", ")))"
    return "provision \(ProvisionVersion.number)\ndefault playbook: \(playbook)"
}

/// Thrown to leave with a given status after output is complete.
struct ProvisionExit: Error {
    var status: Int32
}

typealias ExitCode = Engine.ExitCode
