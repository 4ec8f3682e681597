import ArgumentParser
import Engine
import Foundation
import Inventory
import ProvisionCore

struct SecretsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets", abstract: "Manage the secrets file (DB passwords, WordPress salts).",
        subcommands: [Init.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the secrets file, or add what it lacks (db_password, the eight salts); never changes existing values.")

        @Option(name: .long, help: "Secrets file.")
        var file = SecretsLocation.defaultPath

        func run() throws {
            let added = try SecretsFile.initialize(path: file)
            if added.isEmpty {
                print("\(file): complete, nothing generated")
            } else {
                print("\(file): generated \(added.joined(separator: ", ")) (mode 0600; keep this file, never commit it)")
            }
        }
    }
}
