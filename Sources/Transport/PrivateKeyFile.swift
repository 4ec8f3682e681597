import Foundation

/// What we need to know about a private key file before offering it: can we read it, and its type.
enum PrivateKeyFile {
    enum Problem: Error { case unreadable(String) }

    /// Reads the file (or fails with the reason a user understands) and names its key type
    /// (`ssh-rsa`, `ssh-ed25519`, `ecdsa-sha2-nistp256`, …) when it can tell.
    static func inspect(_ path: String) throws -> String? {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { throw Problem.unreadable("no such file") }
        guard !isDir.boolValue else { throw Problem.unreadable("is a directory") }
        guard fm.isReadableFile(atPath: path), let data = fm.contents(atPath: path) else {
            throw Problem.unreadable("permission denied")
        }
        return keyType(privateKeyText: String(decoding: data, as: UTF8.self))
            ?? (fm.contents(atPath: path + ".pub").flatMap { publicKeyType(String(decoding: $0, as: UTF8.self)) })
    }

    static func keyType(privateKeyText text: String) -> String? {
        if text.contains("BEGIN RSA PRIVATE KEY") { return "ssh-rsa" }
        if text.contains("BEGIN EC PRIVATE KEY") { return "ecdsa-sha2-nistp256" }
        if text.contains("BEGIN DSA PRIVATE KEY") { return "ssh-dss" }
        guard text.contains("BEGIN OPENSSH PRIVATE KEY") else { return nil }
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let data = Data(base64Encoded: body) else { return nil }
        // "openssh-key-v1\0", string cipher, string kdf, string kdfoptions, uint32 n, string publickey
        var bytes = [UInt8](data)
        let magic = Array("openssh-key-v1".utf8) + [0]
        guard bytes.starts(with: magic) else { return nil }
        bytes.removeFirst(magic.count)
        func readString() -> [UInt8]? {
            guard bytes.count >= 4 else { return nil }
            let n = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
            guard bytes.count >= 4 + n else { return nil }
            let s = Array(bytes[4..<4 + n]); bytes.removeFirst(4 + n); return s
        }
        guard readString() != nil, readString() != nil, readString() != nil, bytes.count >= 4 else { return nil }
        bytes.removeFirst(4)
        guard let publicBlob = readString() else { return nil }
        return KnownHosts.keyType(ofBlob: publicBlob)
    }

    static func publicKeyType(_ text: String) -> String? {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first.map(String.init)
    }

    static func isRSA(_ type: String?) -> Bool { type == "ssh-rsa" }
}
