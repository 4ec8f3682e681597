#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// crypt(3): `crypt(key, "$6$salt")` gives a SHA-512 hash in the form `/etc/shadow` stores.
/// crypt keeps its result in static storage, so calls are serialised.
package enum CryptHash {
    private static let lock = NSLock()

    /// nil when crypt fails or does not know the method in `setting`.
    package static func crypt(_ key: String, setting: String) -> String? {
        lock.lock(); defer { lock.unlock() }
        #if canImport(Glibc)
        let result = key.withCString { k in setting.withCString { s in Glibc.crypt(k, s) } }
        #elseif canImport(Darwin)
        let result = key.withCString { k in setting.withCString { s in Darwin.crypt(k, s) } }
        #else
        let result: UnsafeMutablePointer<CChar>? = nil
        #endif
        guard let result else { return nil }
        let text = String(cString: result)
        return text.hasPrefix("*") ? nil : text
    }
}
