import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ProvisionCore

/// What `provision bundle` packs and `provision pull` runs: the playbooks (with their
/// `group_vars/`), `templates/`, `roles/` and `group_vars/` beside them, as a tar archive with a
/// manifest of SHA-256 checksums (`MANIFEST.sha256`, in `sha256sum -c` format) and `bundle.yml`
/// naming the playbook to run. Nothing of a bundle is used before `verify` accepted all of it.
public struct PlaybookBundle: Sendable {
    public static let manifestName = "MANIFEST.sha256"
    public static let configName = "bundle.yml"
    /// The directories taken from the project root when they exist.
    public static let directories = ["playbooks", "templates", "roles", "group_vars"]

    /// Path (inside the bundle) -> content, every one checked against the manifest.
    public let files: [String: TarArchive.Entry]
    /// The playbook a pull runs, relative to the bundle's root.
    public let playbook: String

    /// Packs the project at `root`; `playbook` is relative to it (`playbooks/site.yml`).
    public static func pack(root: String, playbook: String) throws -> Data {
        var entries: [TarArchive.Entry] = []
        let manager = FileManager.default
        for directory in directories {
            let base = (root as NSString).appendingPathComponent(directory)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: base, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            for relative in try manager.subpathsOfDirectory(atPath: base).sorted() {
                let full = (base as NSString).appendingPathComponent(relative)
                let attributes = try manager.attributesOfItem(atPath: full)
                guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
                let mode = (attributes[.posixPermissions] as? Int ?? 0o644) & 0o755
                entries.append(TarArchive.Entry(path: directory + "/" + relative, data: try Data(contentsOf: URL(fileURLWithPath: full)), mode: mode))
            }
        }
        guard entries.contains(where: { $0.path == playbook }) else {
            throw InputError("\(playbook) is not under \(directories.joined(separator: "/, "))/ of \(root)", hint: "give a playbook inside the project, e.g. -p playbooks/site.yml")
        }
        let config = TarArchive.Entry(path: configName, data: Data("# written by provision \(ProvisionVersion.number)\nformat: 1\nplaybook: \(playbook)\n".utf8))
        entries.insert(config, at: 0)
        let manifest = entries.map { "\(SHA256.hex($0.data))  \($0.path)\n" }.joined()
        return try TarArchive.write([TarArchive.Entry(path: manifestName, data: Data(manifest.utf8))] + entries)
    }

    /// Checks the whole archive against its manifest: every file listed, every listed file
    /// present with its checksum, no path outside the bundle, no file twice.
    public static func verify(_ archive: Data) throws -> PlaybookBundle {
        let entries = try TarArchive.read(archive)
        guard let manifestEntry = entries.first(where: { $0.path == manifestName }) else {
            throw ModuleError("bundle has no \(manifestName): not made by provision bundle")
        }
        var expected: [String: String] = [:]
        for (index, line) in String(decoding: manifestEntry.data, as: UTF8.self).split(separator: "\n").enumerated() {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 64, parts[1].hasPrefix(" ") else {
                throw ModuleError("\(manifestName):\(index + 1): not a 'SHA256  PATH' line")
            }
            let path = String(parts[1].dropFirst())
            guard expected.updateValue(String(parts[0]).lowercased(), forKey: path) == nil else {
                throw ModuleError("\(manifestName):\(index + 1): \(path) listed twice")
            }
        }
        var files: [String: TarArchive.Entry] = [:]
        for entry in entries where entry.path != manifestName {
            guard isSafe(entry.path) else { throw ModuleError("bundle file \(entry.path): path leaves the bundle") }
            guard let sum = expected[entry.path] else { throw ModuleError("bundle file \(entry.path) is not in \(manifestName)") }
            let actual = SHA256.hex(entry.data)
            guard actual == sum else { throw ModuleError("bundle file \(entry.path) was changed: sha256 \(actual), manifest says \(sum)") }
            guard files.updateValue(entry, forKey: entry.path) == nil else { throw ModuleError("bundle file \(entry.path) appears twice") }
        }
        if let missing = expected.keys.sorted().first(where: { files[$0] == nil }) {
            throw ModuleError("bundle file \(missing) is in \(manifestName) but missing")
        }
        guard let config = files[configName] else { throw ModuleError("bundle has no \(configName)") }
        let playbook = String(decoding: config.data, as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix("playbook: ") }.map { String($0.dropFirst("playbook: ".count)) }
        guard let playbook, files[playbook] != nil else { throw ModuleError("\(configName) names no playbook of the bundle") }
        return PlaybookBundle(files: files, playbook: playbook)
    }

    /// Writes the verified files under `directory` (made private, mode 0700) and returns the
    /// playbook's path there.
    public func extract(to directory: String) throws -> String {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for entry in files.values.sorted(by: { $0.path < $1.path }) {
            let target = (directory as NSString).appendingPathComponent(entry.path)
            try manager.createDirectory(atPath: PathText.directory(of: target), withIntermediateDirectories: true,
                                        attributes: [.posixPermissions: 0o700])
            guard manager.createFile(atPath: target, contents: entry.data, attributes: [.posixPermissions: entry.mode & 0o755]) else {
                throw ModuleError("cannot write \(target)")
            }
        }
        return (directory as NSString).appendingPathComponent(playbook)
    }

    /// Relative, no `..`, no empty or `.` components.
    static func isSafe(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// The bundle's bytes from a path or an http(s) URL, checked against `sha256` when given.
    public static func load(_ source: String, sha256: String?) throws -> Data {
        let data: Data
        if source.hasPrefix("http://") || source.hasPrefix("https://") {
            guard let url = URL(string: source) else { throw InputError("bundle URL \(source) is not a URL") }
            var request = URLRequest(url: url)
            request.timeoutInterval = 60
            let response = HTTP.send(request)
            guard let body = response.success else {
                throw ModuleError("cannot fetch the bundle \(source): \(response.error ?? "HTTP \(response.status.map(String.init) ?? "?")")")
            }
            data = body
        } else {
            guard let body = FileManager.default.contents(atPath: source) else {
                throw InputError("bundle \(source) cannot be read", hint: "give a file made by `provision bundle -o FILE`, or an http(s) URL")
            }
            data = body
        }
        if let sha256 {
            let actual = SHA256.hex(data)
            guard actual == sha256.lowercased() else { throw ModuleError("bundle \(source): sha256 \(actual), expected \(sha256)") }
        }
        return data
    }
}
