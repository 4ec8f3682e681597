import Foundation
import ProvisionCore

/// How file installs and sudo's refusals are spelled on the remote side; shared by every
/// transport. How a script reaches the shell (on stdin, as root or not) is `ScriptOnStdin`.
enum RemoteCommand {
    /// Did sudo refuse because it wanted a password (or a terminal to ask for one)?
    static func sudoWantsPassword(exitStatus: Int32, stderr: Data) -> Bool {
        guard exitStatus != 0 else { return false }
        let text = String(decoding: stderr.prefix(4096), as: UTF8.self)
        return text.contains("sudo: a password is required") || text.contains("sudo: a terminal is required")
            || text.contains("sudo: sorry, you must have a tty")
    }

    static func modeString(_ mode: Int) -> String { "0" + String(mode & 0o7777, radix: 8) }

    static func ownerSpec(_ attributes: FileAttributes) -> String? {
        switch (attributes.owner, attributes.group) {
        case (nil, nil): return nil
        case (let o?, nil): return o
        case (nil, let g?): return ":" + g
        case (let o?, let g?): return o + ":" + g
        }
    }

    /// The script that installs the staged file `source` at `path` and removes `cleanup` (a
    /// private temp dir) whatever happens: `SafeFileWrite`, the one file-writing script.
    static func installScript(source: String, path: String, attributes: FileAttributes, cleanup: String?) -> String {
        SafeFileWrite.script(path: path, attributes: attributes, source: .file(source), cleanup: cleanup)
    }

    /// The same, reading the content from stdin (OpenSSH transport).
    static func installFromStdinScript(path: String, attributes: FileAttributes) -> String {
        SafeFileWrite.script(path: path, attributes: attributes, source: .stdin)
    }

    /// Directory and file name of a remote path (`/a/b` -> `/a`, `b`; `b` -> `.`, `b`).
    static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let dir = String(path[..<slash])
        return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
    }

    static func randomSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }
}
