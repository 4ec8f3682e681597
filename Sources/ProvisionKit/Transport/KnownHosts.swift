import Foundation

/// An OpenSSH known_hosts file as far as checking a host key needs: entries for a host
/// (plain names, `[host]:port`, comma lists and wildcards; hashed `|1|` entries through
/// `ssh-keygen -F`), with their line numbers, and appending a new one.
public struct KnownHosts: Sendable {
    public struct Entry: Sendable, Equatable {
        public var line: Int
        public var keyType: String
        public var keyBase64: String
    }

    public enum Verdict: Sendable, Equatable {
        case match
        case unknown
        /// Keys are recorded for this host and the presented one is none of them.
        case changed(expected: Entry)
    }

    public let path: String

    public init(path: String) { self.path = path }

    /// The name known_hosts uses for host:port.
    public static func hostPattern(_ host: String, port: Int) -> String {
        port == 22 ? host : "[\(host)]:\(port)"
    }

    public func entries(for host: String, port: Int) -> [Entry] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        let name = Self.hostPattern(host, port: port)
        var found: [Entry] = []
        var sawHashed = false
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("@") { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 3 else { continue }
            if fields[0].hasPrefix("|1|") { sawHashed = true; continue }
            if Self.patternsMatch(String(fields[0]), name) {
                found.append(Entry(line: index + 1, keyType: String(fields[1]), keyBase64: String(fields[2])))
            }
        }
        if sawHashed { found += hashedEntries(name) }
        return found.sorted { $0.line < $1.line }
    }

    /// Hashed names can only be checked by hashing: ask ssh-keygen, which also reports lines.
    func hashedEntries(_ name: String) -> [Entry] {
        guard let result = try? ProcessRunner.run("/usr/bin/ssh-keygen", ["-F", name, "-f", path], timeout: 10), result.succeeded else { return [] }
        var entries: [Entry] = []
        var line = 0
        for row in result.stdoutText.split(separator: "\n") {
            if row.hasPrefix("#"), let n = row.split(separator: " ").last.flatMap({ Int($0) }) {
                line = n
                continue
            }
            let fields = row.split(separator: " ")
            if fields.count >= 3, fields[0].hasPrefix("|1|") {
                entries.append(Entry(line: line, keyType: String(fields[1]), keyBase64: String(fields[2])))
            }
        }
        return entries
    }

    static func patternsMatch(_ list: String, _ name: String) -> Bool {
        var matched = false
        for pattern in list.split(separator: ",").map(String.init) {
            if pattern.hasPrefix("!") {
                if Glob.matches(name, String(pattern.dropFirst())) { return false }
            } else if Glob.matches(name, pattern) {
                matched = true
            }
        }
        return matched
    }

    public func check(host: String, port: Int, keyType: String, key: Data) -> Verdict {
        let entries = entries(for: host, port: port)
        let presented = key.base64EncodedString()
        if entries.contains(where: { $0.keyBase64 == presented }) { return .match }
        // A different key of the same type is a changed key; so is any recorded key when the
        // host now shows one of a type never recorded (OpenSSH refuses that too).
        if let same = entries.first(where: { $0.keyType == keyType }) ?? entries.first { return .changed(expected: same) }
        return .unknown
    }

    /// Records a host key (for `--accept-new-host-keys`); creates the file 0600 if needed.
    public func append(host: String, port: Int, keyType: String, key: Data) throws {
        let line = "\(Self.hostPattern(host, port: port)) \(keyType) \(key.base64EncodedString())\n"
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw ConnectionError.protocolError(host: host, message: "cannot write \(path) to record the host key")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        // Keep the file line-structured even if it lacked a final newline.
        if let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, size > 0,
           let reader = FileHandle(forReadingAtPath: path) {
            try reader.seek(toOffset: UInt64(size - 1))
            if reader.readData(ofLength: 1) != Data("\n".utf8) { handle.write(Data("\n".utf8)) }
            try? reader.close()
        }
        handle.write(Data(line.utf8))
    }

    /// OpenSSH's fingerprint: `SHA256:` and the unpadded base64 of the key blob's digest.
    public static func fingerprint(_ key: Data) -> String {
        "SHA256:" + Data(SHA256.digest(key)).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    public static func fingerprint(base64 key: String) -> String {
        Data(base64Encoded: key).map(fingerprint) ?? "(unreadable key)"
    }
}
