import Foundation

/// Path text operations Foundation gets wrong: on Linux (swift-corelibs-foundation, Swift
/// 6.3.1) `NSString.deletingLastPathComponent` traps on any one-character path ("a", ".",
/// "*"), which a file named on the command line or a templated include can be.
public enum PathText {
    /// What `deletingLastPathComponent` gives: "/tmp/a.yml" -> "/tmp", "a/b/" -> "a",
    /// "/a" -> "/", "a.yml" -> "", "/" -> "/".
    public static func directory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard trimmed != "/" else { return "/" }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        var parent = trimmed[..<slash]
        while parent.count > 1, parent.hasSuffix("/") { parent = parent.dropLast() }
        return parent.isEmpty ? "/" : String(parent)
    }
}
