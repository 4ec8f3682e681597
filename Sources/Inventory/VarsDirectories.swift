import Foundation
import ProvisionCore

/// `group_vars/` and `host_vars/` beside an inventory file, read as Ansible reads them: for a
/// group or host NAME, the file `NAME`, `NAME.yml`, `NAME.yaml` or `NAME.json`, and every such
/// file under the directory `NAME/` (by path, later files winning). Names the inventory does
/// not have are kept too: hosts typed on the command line join it later.
struct VarsDirectories {
    static let extensions: Set<String> = ["", "yml", "yaml", "json"]
    var groups: [String: [String: Value]] = [:]
    var hosts: [String: [String: Value]] = [:]

    static func load(beside directory: String) throws -> VarsDirectories {
        var found = VarsDirectories()
        found.groups = try read(directory + "/group_vars")
        found.hosts = try read(directory + "/host_vars")
        for (host, vars) in found.hosts {
            if let address = vars["ansible_host"]?.stringValue {
                try InventoryLoader.checkAddress(address, host: host, at: SourceLocation(file: directory + "/host_vars/" + host, line: 1))
            }
        }
        return found
    }

    /// NAME -> variables, for every entry of `root` (absent: none).
    static func read(_ root: String) throws -> [String: [String: Value]] {
        let manager = FileManager.default
        guard let entries = try? manager.contentsOfDirectory(atPath: root) else { return [:] }
        var result: [String: [String: Value]] = [:]
        for entry in entries.sorted() where !skipped(entry) {
            let path = root + "/" + entry
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                let files = (manager.enumerator(atPath: path)?.allObjects as? [String] ?? [])
                    .filter { !skipped(($0 as NSString).lastPathComponent) }.sorted()
                for file in files {
                    var nested: ObjCBool = false
                    if manager.fileExists(atPath: path + "/" + file, isDirectory: &nested), !nested.boolValue {
                        result[entry, default: [:]].merge(try mapping(path + "/" + file)) { $1 }
                    }
                }
            } else {
                let name = (entry as NSString).deletingPathExtension
                result[name, default: [:]].merge(try mapping(path)) { $1 }
            }
        }
        return result
    }

    /// Hidden files, editor backups and other extensions are not variables (as in Ansible).
    static func skipped(_ name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix("~") || !extensions.contains((name as NSString).pathExtension.lowercased())
    }

    static func mapping(_ path: String) throws -> [String: Value] {
        try YAMLDocument.loadVariables(path: path, notAMapping: "\(path) must be a mapping of variables",
                                       hint: "write one `name: value` per line")
    }
}
