import Foundation
import ProvisionCore

/// Where the built-in WordPress job (`playbooks/site.yml` with its `templates/`) is found when
/// no `-p` is given, so `provision web-1a` works from any directory:
/// 1. `playbooks/site.yml` in the current directory (a project of the user's own wins);
/// 2. installed beside the binary: `BIN/../share/provision/playbooks/site.yml` (`scripts/install`);
/// 3. the source tree the binary was built in (`.build/…/provision` inside a clone).
public enum DefaultPlaybook {
    public static let relativePath = "playbooks/site.yml"
    public static let sharePath = "share/provision/" + relativePath

    /// The candidates, in order of precedence.
    public static func candidates(currentDirectory: String = FileManager.default.currentDirectoryPath,
                                  executable: String? = executablePath()) -> [String] {
        var paths = [(currentDirectory as NSString).appendingPathComponent(relativePath)]
        if let executable {
            let binDirectory = PathText.directory(of: executable)
            paths.append((PathText.directory(of: binDirectory) as NSString).appendingPathComponent(sharePath))
            // A build tree: .build/<triple>/<configuration>/provision, or .build/<configuration>/provision.
            var directory = binDirectory
            for _ in 0..<4 {
                directory = PathText.directory(of: directory)
                if (directory as NSString).lastPathComponent.hasPrefix(".build") {
                    paths.append((PathText.directory(of: directory) as NSString).appendingPathComponent(relativePath))
                    break
                }
            }
        }
        var seen = Set<String>()
        return paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }.filter { seen.insert($0).inserted }
    }

    /// The first candidate that exists; an error listing where it looked otherwise.
    public static func locate(currentDirectory: String = FileManager.default.currentDirectoryPath,
                              executable: String? = executablePath()) throws -> String {
        let paths = candidates(currentDirectory: currentDirectory, executable: executable)
        if let found = paths.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw InputError("the built-in playbook \(relativePath) was not found",
                         hint: "looked in \(paths.joined(separator: ", ")); give one with -p, or install provision with scripts/install")
    }

    /// This process's binary with symlinks resolved (so a link in /usr/local/bin to a build
    /// tree finds that tree).
    public static func executablePath() -> String? {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        return Bundle.main.executableURL?.resolvingSymlinksInPath().path
    }
}
