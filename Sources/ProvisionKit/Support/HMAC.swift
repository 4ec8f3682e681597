import Foundation

/// HMAC-SHA256 (RFC 2104) on the project's own SHA-256: what AWS Signature V4 needs.
public enum HMAC {
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let blockSize = 64
        var key = key.count > blockSize ? SHA256.digest(key) : key
        key += [UInt8](repeating: 0, count: blockSize - key.count)
        var inner = SHA256()
        inner.update(key.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256()
        outer.update(key.map { $0 ^ 0x5c })
        outer.update(inner.finalize())
        return outer.finalize()
    }

    public static func sha256(key: [UInt8], _ text: String) -> [UInt8] { sha256(key: key, message: Array(text.utf8)) }
}
