import Foundation

/// `--vault-password-file FILE`, as ansible-playbook reads it: the file's first line (trailing
/// whitespace dropped), or, when the file is executable, what it prints (a script that asks a
/// password manager).
public enum VaultPasswordFile {
    public static func read(_ path: String) throws -> Secret {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw InputError("vault password file '\(path)' not found", hint: "give the path of a file holding the password")
        }
        let text: String
        if FileManager.default.isExecutableFile(atPath: path) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            let output = Pipe()
            process.standardOutput = output
            process.standardInput = FileHandle.nullDevice
            do { try process.run() } catch {
                throw InputError("vault password file '\(path)' is executable but cannot be run: \(error.localizedDescription)")
            }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw InputError("vault password script '\(path)' failed (exit \(process.terminationStatus))")
            }
            text = String(decoding: data, as: UTF8.self)
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw InputError("cannot read vault password file '\(path)'")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        let password = String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        guard !password.isEmpty else {
            throw InputError("vault password file '\(path)' is empty", hint: "its first line is the password")
        }
        return Secret(password)
    }
}
