import CCrypto
import Foundation

/// HMAC (RFC 2104) through libcrypto: SHA-256 for AWS Signature V4.
public enum HMAC {
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = CCrypto.HMAC(EVP_sha256(), key, Int32(key.count), message, message.count, &out, &length)
        return out
    }

    public static func sha256(key: [UInt8], _ text: String) -> [UInt8] { sha256(key: key, message: Array(text.utf8)) }
}
