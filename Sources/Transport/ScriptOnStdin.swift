import Foundation
import ProvisionCore

/// How every remote script reaches its shell, for every transport (libssh2, OpenSSH, local):
/// on stdin, never as an argument, so nothing of it (a `shell:` task's password, a path)
/// shows in `ps` on the host. The command that is exec'd is a fixed bootstrap, the same for
/// every script, that reads a header line `LINES BYTES`, then the script, and evals it; the
/// rest of stdin (a file's content) is left to the script.
///
/// Small scripts are read by the shell's own `read`, line by line (byte-exact on a pipe: the
/// shell reads one byte at a time, so nothing after the script is consumed), which costs no
/// process; larger ones by `head -c`, one process, because `read` makes a syscall per byte and
/// the loop copies the script once per line (measured with dash: 70 KB take 115 ms by `read`,
/// 21 ms by `head`).
public enum ScriptOnStdin {
    /// Scripts up to this many bytes are read with the shell's `read`.
    static let readLimit = 16384

    /// The script's last line, a comment: `head -c` cannot tell a cut stream, the bootstrap can.
    static let endMark = "#provision-end"

    /// The `sh -c` argument: the same for every script, nothing secret in it. Exit 126 when
    /// stdin ends before the script does (a connection cut mid-way runs nothing).
    public static let bootstrap =
        "IFS=' ' read -r provision_l provision_b || exit 126; "
        + "if [ \"$provision_b\" -gt \(readLimit) ]; then provision_s=$(head -c \"$provision_b\") || exit 126; "
        + "case $provision_s in *'\(endMark)') ;; *) exit 126;; esac; "
        + "else provision_s=; while [ \"$provision_l\" -gt 0 ]; do IFS= read -r provision_r || exit 126; "
        + "provision_s=\"$provision_s$provision_r\n\"; provision_l=$((provision_l - 1)); done; fi; "
        + "unset provision_l provision_b provision_r; eval \"$provision_s\""

    /// The program and arguments that run the bootstrap: `sh -c`, as root through `sudo -n`.
    public static func arguments(shell: String = "sh", sudo: String = "sudo", become: Bool) -> [String] {
        become ? [sudo, "-n", "--", shell, "-c", bootstrap] : [shell, "-c", bootstrap]
    }

    /// What a remote login shell runs. `exec`: the login shell is replaced, not kept as one
    /// more process.
    public static func remoteCommand(become: Bool) -> String {
        "exec " + (become ? "sudo -n -- " : "") + "sh -c " + Shell.quote(bootstrap)
    }

    /// A script's last words that hand the rest of stdin to the bootstrap again, as root: the
    /// next framed script (`stdin(script:)`, sent after this one) runs through `sudo -n`, or
    /// directly when the login user is root already (a host without sudo then works). The uid
    /// is read with builtins from /proc (Linux), so asking costs no process.
    public static let asRoot =
        "provision_uid=; while read -r provision_k provision_v _; do [ \"$provision_k\" = Uid: ] && provision_uid=$provision_v && break; "
        + "done < /proc/self/status; "
        + "if [ \"$provision_uid\" = 0 ]; then exec sh -c \(Shell.quote(bootstrap)); fi; "
        + "exec sudo -n -- sh -c \(Shell.quote(bootstrap))"

    /// The bytes to send on stdin: the header, the script (ending in a newline and `endMark`),
    /// then `input`. A script holds no NUL byte (no shell variable can).
    public static func stdin(script: String, then input: Data = Data()) -> Data {
        var body = script
        if !body.hasSuffix("\n") { body += "\n" }
        body += endMark + "\n"
        let lines = body.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        var data = Data("\(lines) \(body.utf8.count)\n".utf8)
        data.append(Data(body.utf8))
        data.append(input)
        return data
    }
}
