import CCrypto
import Foundation

/// SHA-256 through libcrypto (already linked by libssh2 and the MySQL client): host key
/// fingerprints, file digests, AWS signatures.
///
/// One-shot: `SHA256.digest(data)`, `SHA256.hex(data)`; incremental: `var h = SHA256(); h.update(...); h.finalize()`.
public struct SHA256: @unchecked Sendable {
    /// The EVP context, copied before a shared one is changed (value semantics).
    private final class Context {
        let pointer: OpaquePointer
        init() {
            pointer = EVP_MD_CTX_new()
            EVP_DigestInit_ex(pointer, EVP_sha256(), nil)
        }
        init(copying other: Context) {
            pointer = EVP_MD_CTX_new()
            EVP_MD_CTX_copy_ex(pointer, other.pointer)
        }
        deinit { EVP_MD_CTX_free(pointer) }
    }

    private var context = Context()

    public init() {}

    /// Feeds more bytes.
    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update(UnsafeRawBufferPointer($0)) }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        if !isKnownUniquelyReferenced(&context) { context = Context(copying: context) }
        EVP_DigestUpdate(context.pointer, bytes.baseAddress, bytes.count)
    }

    /// The 32-byte digest of everything fed so far (more may be fed afterwards).
    public func finalize() -> [UInt8] {
        let copy = Context(copying: context)
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(copy.pointer, &out, &length)
        return out
    }

    public static func digest(_ data: Data) -> [UInt8] {
        data.withUnsafeBytes { digest(UnsafeRawBufferPointer($0)) }
    }

    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { digest($0) }
    }

    static func digest(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_Digest(bytes.baseAddress, bytes.count, &out, &length, EVP_sha256(), nil)
        return out
    }

    /// Lower-case hex of the digest.
    public static func hex(_ data: Data) -> String { hexString(digest(data)) }

    public static func hex(_ text: String) -> String { hex(Data(text.utf8)) }

    /// Digest of a file, read in 1 MiB chunks.
    public static func hex(fileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ModuleError("cannot read \(path) on the controller") }
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(chunk) }
        return hexString(hash.finalize())
    }

    package static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0x0f)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
