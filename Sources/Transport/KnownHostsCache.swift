import Foundation

/// known_hosts files parsed once per run, not once per host: a parse is reused while the
/// file is the same (device, inode, size, modification time), so a key appended by
/// `--accept-new-host-keys` (or by anyone else) is seen by the next connection.
final class KnownHostsCache: @unchecked Sendable {
    static let shared = KnownHostsCache()

    private struct Identity: Equatable {
        var device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int
    }
    private let lock = NSLock()
    private var parsed: [String: (identity: Identity, knownHosts: KnownHosts)] = [:]

    /// The parsed file at `path`; a missing file is an empty one (as `KnownHosts(contentsOf:)`).
    func knownHosts(at path: String) throws -> KnownHosts {
        guard let identity = Self.identity(of: path) else { return try KnownHosts(contentsOf: path) }
        lock.lock()
        if let cached = parsed[path], cached.identity == identity {
            lock.unlock()
            return cached.knownHosts
        }
        lock.unlock()
        let knownHosts = try KnownHosts(contentsOf: path)
        // Stored only when the file did not change while it was read.
        if Self.identity(of: path) == identity {
            lock.lock()
            parsed[path] = (identity, knownHosts)
            lock.unlock()
        }
        return knownHosts
    }

    private static func identity(of path: String) -> Identity? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                        seconds: Int(st.st_mtim.tv_sec), nanoseconds: Int(st.st_mtim.tv_nsec))
    }
}
