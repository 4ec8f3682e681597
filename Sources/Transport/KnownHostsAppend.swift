import Foundation
import ProvisionCore

/// Recording a new host key (`--accept-new-host-keys`) when many hosts connect at once:
/// appends are serialized (a lock in this process, `flock` on the file's directory against
/// other processes), each one re-reads the file, and the new file replaces the old in one
/// `rename`, written with the old file's mode and owner. No line is ever lost, and a reader
/// (ssh, another run) sees the old file or the new one, never half of one.
enum KnownHostsAppend {
    private static let lock = NSLock()

    static func append(name: String, keyType: String, key: [UInt8], toFile path: String) throws {
        lock.lock()
        defer { lock.unlock() }
        let fm = FileManager.default
        // The user's own symlink (a dotfiles checkout) is kept: the file it points to is written.
        let target = fm.fileExists(atPath: path) ? URL(fileURLWithPath: path).resolvingSymlinksInPath().path : path
        let dir = PathText.directory(of: target)
        if !dir.isEmpty, !fm.fileExists(atPath: dir) {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let dirFD = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { throw error("cannot open \(dir)") }
        defer { close(dirFD) }
        guard flock(dirFD, LOCK_EX) == 0 else { throw error("cannot lock \(dir)") }
        defer { flock(dirFD, LOCK_UN) }

        var existing = Data()
        var mode: mode_t = 0o600
        var owner: (uid_t, gid_t)?
        var info = stat()
        if lstat(target, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFREG else { throw error("\(target) is not a regular file") }
            existing = try Data(contentsOf: URL(fileURLWithPath: target))
            mode = info.st_mode & 0o7777
            owner = (info.st_uid, info.st_gid)
            // Another host (or run) may have recorded this very key meanwhile.
            if case .match = KnownHosts(parsing: String(decoding: existing, as: UTF8.self)).check(name: name, keyType: keyType, key: key) {
                return
            }
        }
        var text = KnownHosts.line(name: name, keyType: keyType, key: key) + "\n"
        if let last = existing.last, last != UInt8(ascii: "\n") { text = "\n" + text }
        let content = existing + Data(text.utf8)

        let temporary = (dir.isEmpty ? "" : dir + "/") + ".\((target as NSString).lastPathComponent).provision-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw error("cannot create \(temporary)") }
        var ok = fchmod(fd, mode) == 0   // the umask must not narrow or widen it
        if ok, let (uid, gid) = owner, uid != geteuid() || gid != getegid() {
            ok = fchown(fd, uid, gid) == 0
        }
        if ok {
            ok = content.withUnsafeBytes { buffer -> Bool in
                var offset = 0
                while offset < buffer.count {
                    let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0 { if errno == EINTR { continue }; return false }
                    offset += n
                }
                return true
            }
        }
        if ok { ok = fsync(fd) == 0 }
        let savedErrno = errno
        close(fd)
        guard ok, rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(ok ? errno : savedErrno))
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target, NSLocalizedDescriptionKey: "cannot write \(target): \(reason)"])
        }
        _ = fsync(dirFD)
    }

    private static func error(_ message: String) -> Error {
        CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: message + ": " + String(cString: strerror(errno))])
    }
}
