import Foundation
import ProvisionCore

/// An OpenSSH known_hosts file: parsing, matching (plain patterns, wildcards, negation,
/// `[host]:port`, hashed `|1|salt|hash` entries), and appending a new key.
/// A `@revoked` line refuses its key for the hosts it names (even where another line
/// records it), as OpenSSH does; a `@cert-authority` line for the host is reported, since
/// host certificates are not checked here. Other markers are invalid lines: never matched.
public struct KnownHosts: Sendable {
    public struct Entry: Sendable, Equatable {
        /// 1-based line number in the file.
        public var line: Int
        public var marker: String?
        /// The host field as written (patterns, or a hashed `|1|…` value).
        public var hosts: String
        public var keyType: String
        /// The decoded public key blob.
        public var key: [UInt8]

        public var fingerprint: String { KnownHosts.fingerprint(key) }
    }

    public enum Verdict: Sendable, Equatable {
        case match(line: Int)
        case notFound
        /// The host is known with another key: `entry` is the line to remove.
        case mismatch(entry: Entry)
        /// The key presented is on a `@revoked` line that names the host.
        case revoked(entry: Entry)
        /// The key is not recorded, but a `@cert-authority` line names the host: its key is
        /// meant to be checked as a certificate, which this code cannot do.
        case certificateAuthority(entry: Entry)
    }

    public static let revokedMarker = "@revoked"
    public static let certificateAuthorityMarker = "@cert-authority"

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Parses `text`; lines that are blank, comments or malformed are skipped (their numbers still count).
    public init(parsing text: String) {
        var entries: [Entry] = []
        var number = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = rawLine.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") { continue }
            var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            var marker: String?
            if let first = fields.first, first.hasPrefix("@") {
                marker = first
                fields.removeFirst()
            }
            guard fields.count >= 3, let blob = Data(base64Encoded: fields[2]) else { continue }
            entries.append(Entry(line: number, marker: marker, hosts: fields[0], keyType: fields[1], key: [UInt8](blob)))
        }
        self.entries = entries
    }

    /// Reads `path`; a missing file is an empty one.
    public init(contentsOf path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { self.init(entries: []); return }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        self.init(parsing: String(decoding: data, as: UTF8.self))
    }

    /// `host`, or `[host]:port` when the port is not 22 (OpenSSH's convention).
    public static func hostKeyName(_ host: String, port: Int) -> String {
        port == 22 ? host : "[\(host)]:\(port)"
    }

    /// Entries (without markers) whose host field matches `name` (a `hostKeyName`).
    public func entries(for name: String) -> [Entry] {
        entries.filter { $0.marker == nil && KnownHosts.hostField($0.hosts, matches: name) }
    }

    /// Key types recorded for `name`, in file order, without duplicates.
    public func keyTypes(for name: String) -> [String] {
        var seen: [String] = []
        for e in entries(for: name) where !seen.contains(e.keyType) { seen.append(e.keyType) }
        return seen
    }

    /// Checks the key a server presented. A recorded key of the same type that differs, or only
    /// keys of other types, count as a mismatch (as with OpenSSH's strict checking).
    public func check(name: String, keyType: String, key: [UInt8]) -> Verdict {
        let marked = { (marker: String) in
            self.entries.filter { $0.marker == marker && KnownHosts.hostField($0.hosts, matches: name) }
        }
        if let revoked = marked(Self.revokedMarker).first(where: { $0.key == key }) { return .revoked(entry: revoked) }
        let candidates = entries(for: name)
        if !candidates.contains(where: { $0.key == key }), let ca = marked(Self.certificateAuthorityMarker).first {
            return .certificateAuthority(entry: ca)
        }
        if let hit = candidates.first(where: { $0.key == key }) { return .match(line: hit.line) }
        if let sameType = candidates.first(where: { $0.keyType == keyType }) { return .mismatch(entry: sameType) }
        if let other = candidates.first { return .mismatch(entry: other) }
        return .notFound
    }

    /// The line `append` writes.
    public static func line(name: String, keyType: String, key: [UInt8]) -> String {
        "\(name) \(keyType) \(Data(key).base64EncodedString())"
    }

    /// Appends a key for `name` to the file at `path`, creating it (0600, directory 0700) if
    /// needed: serialized and atomic, keeping the file's mode and owner (`KnownHostsAppend`).
    public static func append(name: String, keyType: String, key: [UInt8], toFile path: String) throws {
        try KnownHostsAppend.append(name: name, keyType: keyType, key: key, toFile: path)
    }

    /// OpenSSH-style fingerprint of a key blob: `SHA256:` + unpadded base64 of its SHA-256.
    public static func fingerprint(_ key: [UInt8]) -> String {
        var b64 = Data(SHA256.digest(key)).base64EncodedString()
        while b64.hasSuffix("=") { b64.removeLast() }
        return "SHA256:" + b64
    }

    /// The key type named inside a public key blob (its first SSH string), e.g. `ssh-ed25519`.
    public static func keyType(ofBlob blob: [UInt8]) -> String? {
        guard blob.count >= 4 else { return nil }
        let n = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
        guard n > 0, n < 64, blob.count >= 4 + n else { return nil }
        return String(decoding: blob[4..<4 + n], as: UTF8.self)
    }

    // MARK: - Matching

    /// OpenSSH semantics: a comma-separated list of patterns (`*`, `?`, `!negation`), or one hashed entry.
    static func hostField(_ field: String, matches name: String) -> Bool {
        if field.hasPrefix("|1|") { return hashedField(field, matches: name) }
        var matched = false
        for pattern in field.split(separator: ",") {
            if pattern.hasPrefix("!") {
                if Glob.matches(name.lowercased(), String(pattern.dropFirst()).lowercased()) { return false }
            } else if Glob.matches(name.lowercased(), String(pattern).lowercased()) {
                matched = true
            }
        }
        return matched
    }

    static func hashedField(_ field: String, matches name: String) -> Bool {
        let parts = field.split(separator: "|", omittingEmptySubsequences: false)
        // "", "1", salt, hash
        guard parts.count == 4, let salt = Data(base64Encoded: String(parts[2])),
            let hash = Data(base64Encoded: String(parts[3]))
        else { return false }
        return HMACSHA1.authenticationCode(key: [UInt8](salt), message: Array(name.lowercased().utf8)) == [UInt8](hash)
    }

    /// A hashed host field (`|1|salt|hash`) for `name`, as `ssh-keygen -H` writes it.
    static func hashedField(for name: String, salt: [UInt8]) -> String {
        let mac = HMACSHA1.authenticationCode(key: salt, message: Array(name.lowercased().utf8))
        return "|1|\(Data(salt).base64EncodedString())|\(Data(mac).base64EncodedString())"
    }
}

/// HMAC-SHA1, only for hashed known_hosts entries.
enum HMACSHA1 {
    static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var k = key.count > 64 ? sha1(key) : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        let inner = sha1(k.map { $0 ^ 0x36 } + message)
        return sha1(k.map { $0 ^ 0x5c } + inner)
    }

    static func sha1(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var m = message
        let bitLength = UInt64(message.count) * 8
        m.append(0x80)
        while m.count % 64 != 56 { m.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { m.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: m.count, by: 64) {
            for i in 0..<16 {
                let j = chunk + i * 4
                w[i] = UInt32(m[j]) << 24 | UInt32(m[j + 1]) << 16 | UInt32(m[j + 2]) << 8 | UInt32(m[j + 3])
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = (x << 1) | (x >> 31)
            }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4]
            for i in 0..<80 {
                let f: UInt32, k: UInt32
                switch i {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5A82_7999
                case 20..<40: f = b ^ c ^ d; k = 0x6ED9_EBA1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
                default: f = b ^ c ^ d; k = 0xCA62_C1D6
                }
                let t = ((a << 5) | (a >> 27)) &+ f &+ e &+ k &+ w[i]
                e = d; d = c; c = (b << 30) | (b >> 2); b = a; a = t
            }
            h[0] = h[0] &+ a; h[1] = h[1] &+ b; h[2] = h[2] &+ c; h[3] = h[3] &+ d; h[4] = h[4] &+ e
        }
        var out: [UInt8] = []
        for v in h { out += [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
        return out
    }
}
