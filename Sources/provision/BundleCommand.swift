import ArgumentParser
import Engine
import Foundation
import Playbook
import ProvisionCore

struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Pack playbooks/, templates/, roles/ and group vars with a manifest of SHA-256 checksums, for `provision pull`.")

    @Option(name: .short, help: "Bundle file to write.")
    var output: String

    @Option(name: .short, help: "Playbook the pull runs (default: the built-in one); its project is the directory above playbooks/.")
    var playbook: String?

    func run() throws {
        let path = URL(fileURLWithPath: try playbook ?? DefaultPlaybook.locate()).standardizedFileURL.path
        let playbooksDirectory = PathText.directory(of: path)
        let root = PathText.directory(of: playbooksDirectory)
        let relative = (playbooksDirectory as NSString).lastPathComponent + "/" + (path as NSString).lastPathComponent
        let data = try PlaybookBundle.pack(root: root, playbook: relative)
        guard FileManager.default.createFile(atPath: output, contents: data, attributes: [.posixPermissions: 0o644]) else {
            throw InputError("cannot write the bundle to \(output)")
        }
        print("\(output): \(relative) from \(root), sha256 \(SHA256.hex(data))")
    }
}
