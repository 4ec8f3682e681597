import ArgumentParser
import Engine
import Foundation
import ProvisionCore

struct CloudInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cloud-init",
        abstract: "Print cloud-config user-data that runs `provision pull` once at first boot (for a launch template).")

    @Option(name: .long, help: "Where instances fetch the bundle: https://, http:// or s3:// (aws CLI, instance role).")
    var bundleUrl: String

    @Option(name: .long, help: "SHA-256 of the bundle (printed by `provision bundle`).")
    var bundleSha256: String?

    @Option(name: .long, help: "Where instances fetch the provision binary (default: already at /usr/local/bin/provision).")
    var binaryUrl: String?

    @Option(name: .long, help: "SHA-256 of the binary at --binary-url.")
    var sha256: String?

    @Option(name: .short, help: "key=value passed to the pull (never a secret: user-data is readable on the instance).")
    var extraVars: [String] = []

    func run() throws {
        let variables = try extraVars.map { item -> (String, String) in
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw InputError("-e \(item): expected key=value")
            }
            return (String(item[..<equals]), String(item[item.index(after: equals)...]))
        }
        let userData = try CloudInitUserData(bundleURL: bundleUrl, bundleSHA256: bundleSha256, binaryURL: binaryUrl,
                                             binarySHA256: sha256, extraVariables: variables)
        print(userData.text, terminator: "")
    }
}
