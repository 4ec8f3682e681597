import Foundation

/// Digests of controller files, kept in ~/.cache/provision/digests keyed by path, size,
/// modification time and inode (as rsync and git judge "unchanged"), so a re-run does not
/// hash a 20 MB archive again, and a run uploading it to many hosts hashes it once.
package final class LocalDigests: @unchecked Sendable {
    package static let shared = LocalDigests()
    private let lock = NSLock()
    private var cache: [String: String]?
    let file: String

    init(file: String = LocalDigests.defaultFile) {
        self.file = file
    }

    static var defaultFile: String {
        let base = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")
        return base + "/provision/digests"
    }

    package func sha256(of path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ModuleError("cannot read \(path) on the controller") }
        let key = "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(info.st_ino) \(path)"
        lock.lock()
        if cache == nil { cache = load() }
        if let known = cache?[key] { lock.unlock(); return known }
        lock.unlock()
        let digest = try SHA256.hex(fileAt: path)
        lock.lock()
        cache?[key] = digest
        save()
        lock.unlock()
        return digest
    }

    private func load() -> [String: String] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [:] }
        var entries: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].count == 64 { entries[String(parts[1])] = String(parts[0]) }
        }
        return entries
    }

    /// Written whole to a temporary file and renamed; a failure only costs a re-hash later.
    private func save() {
        guard let cache else { return }
        let text = cache.map { "\($0.value) \($0.key)" }.sorted().suffix(200).joined(separator: "\n") + "\n"
        let directory = PathText.directory(of: file)
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = file + ".\(getpid())"
        if FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) {
            rename(temporary, file)
        }
    }
}
