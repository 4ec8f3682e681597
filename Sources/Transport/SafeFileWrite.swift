import Foundation
import ProvisionCore

/// The one script that writes a file on a host, for every transport (libssh2 through a
/// staged upload, OpenSSH and the local connection from stdin). Written for directories
/// someone else can write (the web root belongs to the web user): nothing is done by a
/// path another user could swap between two steps.
///
/// 1. The directory is entered one component at a time from `/`; each entered directory is
///    checked to be the one looked at (device and inode before and after `cd`), and a
///    symbolic link is followed only where no one but root (or the writing user) could have
///    planted it. From then on the shell's working directory pins it.
/// 2. A private directory (`mktemp -d`: 0700, ours) is made there and entered the same way;
///    no other user can touch what is inside it.
/// 3. The file is created there empty, given its owner and mode, then filled.
/// 4. With a `validation` command, the command checks the file through an open descriptor
///    (`/dev/fd/8`), not a path: a path into the destination directory could be redirected
///    by its owner (renaming our private directory there is allowed to them), a descriptor
///    cannot, and it survives a validator that changes directory.
/// 5. `mv -T` renames it to `../NAME`: `..` of the private directory is the pinned directory
///    (no one else may move a directory they cannot write), and `-T` replaces a symbolic
///    link found at NAME instead of writing through it; the link's target is never touched.
/// 6. Whatever happens, the private directory (and `cleanup`, a staging directory) is removed.
///
/// Known limit: a root-owned symbolic link on the way is followed by the kernel as a whole,
/// so its target path is trusted as written.
public enum SafeFileWrite {
    public enum Source: Sendable, Equatable {
        /// The content comes on stdin.
        case stdin
        /// A staged file (in the login user's private temporary directory).
        case file(String)
    }

    public static func script(path: String, attributes: FileAttributes, source: Source, cleanup: String? = nil) -> String {
        let (dir, base) = RemoteCommand.split(path)
        var lines = [
            "set -e",
            "umask 077",
            "me=$(id -u)",
            "b=\(Shell.quote(base))",
            "c=\(Shell.quote(cleanup ?? ""))",
            "t=",
            "inside=",
            """
            provision_cleanup() {
              if [ -n "$inside" ]; then rm -f -- f 2>/dev/null || true; cd .. 2>/dev/null || true; fi
              if [ -n "$t" ]; then rmdir -- "$t" 2>/dev/null || true; fi
              if [ -n "$c" ]; then rm -rf -- "$c" 2>/dev/null || true; fi
            }
            """,
            "trap provision_cleanup EXIT",
            """
            provision_enter() {
              if [ -L "$1" ]; then
                o=$(stat -c %u .)
                if [ "$o" != 0 ] && [ "$o" != "$me" ]; then
                  echo "provision: refusing to follow the symbolic link $1 in a directory of uid $o" >&2; exit 1
                fi
                if [ -n "$(find . -maxdepth 0 -perm /022)" ]; then
                  if [ -z "$(find . -maxdepth 0 -perm -1000)" ] || [ "$(stat -c %u -- "$1")" != 0 ]; then
                    echo "provision: refusing to follow the symbolic link $1 in a directory others can write" >&2; exit 1
                  fi
                fi
                cd -P -- "$1"
              else
                i=$(stat -c %d:%i -- "$1")
                cd -P -- "$1"
                if [ "$(stat -c %d:%i .)" != "$i" ]; then echo "provision: $1 changed while it was entered" >&2; exit 1; fi
              fi
            }
            """,
        ]
        if dir.hasPrefix("/") { lines.append("cd /") }
        for component in dir.split(separator: "/") where !component.isEmpty && component != "." {
            lines.append("provision_enter \(Shell.quote(String(component)))")
        }
        lines += [
            "if [ -d \"$b\" ] && [ ! -L \"$b\" ]; then echo \"provision: \(escapedForDoubleQuotes(path)) is a directory\" >&2; exit 1; fi",
            "t=$(mktemp -d .provision-XXXXXX)",
            "provision_enter \"$t\"",
            "inside=1",
            "if [ \"$(stat -c %u .)\" != \"$me\" ]; then echo 'provision: private directory not ours' >&2; exit 1; fi",
            ": > f",
        ]
        if let owner = RemoteCommand.ownerSpec(attributes) { lines.append("chown -- \(Shell.quote(owner)) f") }
        lines.append("chmod -- \(RemoteCommand.modeString(attributes.mode)) f")
        switch source {
        case .stdin: lines.append("cat >> f")
        case .file(let staged): lines.append("cat -- \(Shell.quote(staged)) >> f")
        }
        if let validation = attributes.validation {
            lines += [
                "exec 8< f",
                "set +e",
                // A subshell: the command may change directory or variables, the script goes on here.
                "( " + validation.replacingOccurrences(of: "%s", with: checkedPath),
                ") </dev/null",
                "provision_s=$?",
                "set -e",
                "exec 8<&-",
                "if [ \"$provision_s\" -ne 0 ]; then echo \"\(validationMark)$provision_s\" >&2; exit \(validationExit); fi",
            ]
        }
        lines += [
            "mv -f -T -- f \"../$b\"",
            "inside=",
            "cd ..",
            "rmdir -- \"$t\" 2>/dev/null || true",
            "t=",
        ]
        return lines.joined(separator: "\n")
    }

    /// What `%s` becomes in a validation command.
    static let checkedPath = "/dev/fd/8"

    /// The exit status and last stderr line by which the script says the validation refused.
    static let validationExit: Int32 = 97
    static let validationMark = "provision-validation-failed: exit "

    /// The validation's refusal, if that is why `result` failed (the mark line removed).
    public static func validationFailure(path: String, attributes: FileAttributes, result: CommandResult) -> FileValidationFailed? {
        guard let command = attributes.validation, result.exitStatus == validationExit else { return nil }
        var lines = result.stderrText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last == "" { lines.removeLast() }
        guard let last = lines.last, last.hasPrefix(validationMark), let status = Int32(last.dropFirst(validationMark.count)) else { return nil }
        lines.removeLast()
        return FileValidationFailed(path: path, command: command, exitStatus: status, stdout: result.stdoutText,
                                    stderr: lines.joined(separator: "\n"))
    }

    /// `text` inside a double-quoted shell string: only `"`, `\`, `$` and backquote are special there.
    static func escapedForDoubleQuotes(_ text: String) -> String {
        var out = ""
        for c in text {
            if "\"\\$`".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
