import Engine
import Foundation

extension RunFlow {
    /// The command line's run: notes and the preflight's problems on stderr, the run's
    /// output through `reporter`, then leaves with the exit code (`ProvisionExit`).
    init(options: RunOptions, playbookPath: String, targets: [String], reporter: RunReporter, rollout: RollingUpdate? = nil) {
        self.init(options: options, playbookPath: playbookPath, targets: targets, reporter: reporter,
                  redactor: outputRedactor, rollout: rollout,
                  note: { FileHandle.standardError.write(Data("note: \($0)\n".utf8)) })
    }

    func runAndExit(provisioner: Provisioner, connector: @escaping ConnectionPool.Connector) throws -> Never {
        let outcome = try run(provisioner: provisioner, connector: connector)
        if case .rejected(let problems) = outcome {
            for problem in problems { FileHandle.standardError.write(Data("error: \(problem)\n".utf8)) }
        }
        throw ProvisionExit(status: outcome.exitCode)
    }
}
