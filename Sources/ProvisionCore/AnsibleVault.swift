import CCrypto
import Foundation

/// Ansible Vault, format 1.1 and 1.2 (`$ANSIBLE_VAULT;1.1;AES256`, `…;1.2;AES256;LABEL`), read
/// through libcrypto as ansible-vault writes it: the payload is hex of
/// `hex(salt)\nhex(hmac)\nhex(ciphertext)`; PBKDF2-HMAC-SHA256 (10,000 rounds) of the password
/// and salt gives 80 bytes: the AES-256 key, the HMAC-SHA256 key and the CTR counter block;
/// the HMAC covers the ciphertext; the plaintext is PKCS#7-padded.
///
/// Whole files (vars files, group_vars, host_vars, inventories, include_vars) and `!vault`
/// scalars are decrypted where YAML is read (`YAMLDocument`), with the passwords the command
/// line gave (`--vault-password-file`); what they hold is secret wherever it goes.
public enum AnsibleVault {
    static let headerPrefix = "$ANSIBLE_VAULT;"

    /// Whether `text` is a vault (its first line is a vault header).
    public static func isVault(_ text: String) -> Bool { text.hasPrefix(headerPrefix) }

    /// The passwords to try, in order (a vault names no password; a 1.2 label is a hint only).
    public static var passwords: [Secret] {
        get { keyring.withLock { $0 } }
        set { keyring.withLock { $0 = newValue } }
    }
    private static let keyring = LockedValue<[Secret]>([])

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case noPassword
        case malformed(String)
        case wrongPassword

        public var description: String {
            switch self {
            case .noPassword: return "it is vaulted (Ansible Vault) and no vault password was given"
            case .malformed(let why): return "it is not a vault ansible-vault wrote: \(why)"
            case .wrongPassword: return "no vault password given opens it (HMAC mismatch)"
            }
        }

        public var hint: String? {
            switch self {
            case .noPassword: return "give --vault-password-file FILE (or set ANSIBLE_VAULT_PASSWORD_FILE)"
            case .wrongPassword: return "check the vault password file; a vault made with another password needs that one"
            case .malformed: return nil
            }
        }
    }

    /// The plaintext of the vault `text`, opened with the first of `passwords` that fits.
    public static func decrypt(_ text: String, passwords: [Secret]? = nil) throws -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let header = lines.first, header.hasPrefix(headerPrefix) else { throw Failure.malformed("no $ANSIBLE_VAULT header") }
        let fields = header.split(separator: ";", omittingEmptySubsequences: false)
        guard fields.count >= 3, ["1.1", "1.2"].contains(fields[1]) else {
            throw Failure.malformed("version \(fields.count > 1 ? String(fields[1]) : "?") (1.1 and 1.2 are read)")
        }
        guard fields[2] == "AES256" else { throw Failure.malformed("cipher \(fields[2]) (AES256 is read)") }
        guard let outer = hexBytes(lines.dropFirst().joined()),
              let inner = String(bytes: outer, encoding: .ascii)?.split(separator: "\n"), inner.count == 3,
              let salt = hexBytes(String(inner[0])), let mac = hexBytes(String(inner[1])),
              let ciphertext = hexBytes(String(inner[2])), !ciphertext.isEmpty
        else { throw Failure.malformed("its payload is not hex of salt, HMAC and ciphertext") }
        let candidates = passwords ?? self.passwords
        guard !candidates.isEmpty else { throw Failure.noPassword }
        for password in candidates {
            let keys = derive(password: Array(password.reveal().utf8), salt: salt)
            let cipherKey = Array(keys[0..<32]), macKey = Array(keys[32..<64]), counter = Array(keys[64..<80])
            guard constantTimeEqual(HMAC.sha256(key: macKey, message: ciphertext), mac) else { continue }
            let padded = try aes256ctr(ciphertext, key: cipherKey, counter: counter)
            guard let pad = padded.last, pad >= 1, pad <= 16, Int(pad) <= padded.count,
                  padded.suffix(Int(pad)).allSatisfy({ $0 == pad }),
                  let plaintext = String(bytes: padded.dropLast(Int(pad)), encoding: .utf8)
            else { throw Failure.malformed("its padding is wrong") }
            return plaintext
        }
        throw Failure.wrongPassword
    }

    static func derive(password: [UInt8], salt: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 80)
        let ok = password.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(p.count, 1)) { chars in
                PKCS5_PBKDF2_HMAC(chars, Int32(password.count), salt, Int32(salt.count), 10_000, EVP_sha256(), 80, &out)
            }
        }
        precondition(ok == 1, "PBKDF2 failed in libcrypto")
        return out
    }

    static func aes256ctr(_ input: [UInt8], key: [UInt8], counter: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_CIPHER_CTX_new() else { throw Failure.malformed("libcrypto has no cipher context") }
        defer { EVP_CIPHER_CTX_free(context) }
        var out = [UInt8](repeating: 0, count: input.count + 16)
        var length: Int32 = 0, final: Int32 = 0
        guard EVP_DecryptInit_ex(context, EVP_aes_256_ctr(), nil, key, counter) == 1,
              EVP_DecryptUpdate(context, &out, &length, input, Int32(input.count)) == 1,
              out.withUnsafeMutableBufferPointer({ EVP_DecryptFinal_ex(context, $0.baseAddress! + Int(length), &final) }) == 1
        else { throw Failure.malformed("AES-256-CTR failed") }
        return Array(out[0..<Int(length + final)])
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = hexValue(digits[i]), let low = hexValue(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// A value behind a lock, for process-wide settings read from many threads.
final class LockedValue<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func withLock<R>(_ body: (inout T) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
