import Foundation
import ProvisionCore
import Transport

/// Two runs on one host at once (two pushes, or a push and a pull at boot) never
/// interleave: a run holds `/run/provision.lock` (flock) on each host from its first play
/// there to the run's end. The lock is held by a command on the host whose stdin is the
/// run's connection (`CommandHolding`), so a run that dies lets go with its connection; in
/// `/run`, which only root can write, no other user can take or plant it. A run that finds
/// the lock taken says who holds it, waits up to `--lock-wait` seconds, then fails that host.
public enum HostLock {
    public static let path = "/run/provision.lock"
    /// The default of `--lock-wait`: longer than a first run (packages) usually takes.
    public static let defaultWait: TimeInterval = 300

    /// Every answer of the lock command starts so (the ready line of `hold`).
    static let linePrefix = "provision-lock: "
    static let heldLine = "provision-lock: held"
    static let unavailableLine = "provision-lock: no flock"
    static let busyPrefix = "provision-lock: busy "
    static let busyExit = 75

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Another run kept the lock for all of `waited` seconds.
        case busy(holder: String, waited: Int)
        /// The lock command did not run (no sudo, no /run, …).
        case failed(String)

        public var description: String {
            switch self {
            case .busy(let holder, let waited):
                return "another provision run holds this host (\(holder)) and did not finish within \(waited) s; "
                    + "run again when it has, or give it longer with --lock-wait SECONDS"
            case .failed(let output):
                return "cannot take the host lock \(HostLock.path): \(output.isEmpty ? "no output" : output)"
            }
        }
    }

    /// Who is running, for whoever waits: shown to the other run, so nothing secret.
    public static func holder(mode: String, now: Date = Date()) -> String {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0 ? String(cString: name) : "?"
        let time = ISO8601DateFormatter().string(from: now)
        return "provision \(mode) from \(host), pid \(getpid()), since \(time)"
    }

    /// The lock command, as root: takes the lock at once (`wait` 0) or within `wait` seconds,
    /// writes `holder` into the file for the next one, prints `heldLine` and keeps the lock
    /// until its stdin ends. Busy: prints who holds it and exits 75. Without `flock`
    /// (util-linux) the host cannot be locked: it says so and holds nothing.
    static func script(wait: Int, holder: String, path: String = HostLock.path) -> String {
        let file = Shell.quote(path)
        return """
            if ! command -v flock >/dev/null 2>&1; then echo '\(unavailableLine)'; exit 0; fi
            exec 9>>\(file) || exit 1
            if ! flock \(wait == 0 ? "-n" : "-w \(wait)") 9; then
              printf '\(busyPrefix)%s\\n' "$(head -c 300 \(file) | tr -d '\\n')"
              exit \(busyExit)
            fi
            printf '%s\\n' \(Shell.quote(holder)) > \(file)
            echo '\(heldLine)'
            exec cat >/dev/null
            """
    }

    /// What the lock's round trip runs as the login user: `prelude` (its output comes back
    /// with the answer), a line that ends that output, then the lock command as root, read
    /// from the same stdin (`ScriptOnStdin.asRoot`), so one channel does both.
    static func request(prelude: String) -> String {
        prelude + "\necho '\(preludeEnd)'\n" + ScriptOnStdin.asRoot
    }

    static let preludeEnd = "provision-lock-prelude: end"

    /// What the lock command answered, and what the prelude printed.
    enum Answer {
        case held(HeldCommand)
        case busy(holder: String)
        case unavailable
        case failed(String)
    }

    /// Asks once: the lock command's first line says it all (it may still be running).
    static func ask(_ connection: any CommandHolding, wait: Int, holder: String, path: String,
                    prelude: String) throws -> (answer: Answer, prelude: String) {
        let printed: String, line: String
        switch try connection.hold(request(prelude: prelude), input: ScriptOnStdin.stdin(script: script(wait: wait, holder: holder, path: path)),
                                   become: false, readyPrefix: linePrefix, timeout: TimeInterval(wait + 60)) {
        case .holding(let ready, let before, let held):
            printed = before
            if ready == heldLine { return (.held(held), preludeOutput(printed)) }
            held.release()
            line = ready
        case .ended(let result):
            printed = result.stdoutText
            let answer = lockOutput(printed)
            if ConnectionError.isSudoRefusal(exitStatus: result.exitStatus, output: answer) {
                throw ConnectionError.sudoNeedsPassword(host: connection.hostName)
            }
            line = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let prelude = preludeOutput(printed)
        if line.hasPrefix(busyPrefix) {
            let name = line.dropFirst(busyPrefix.count).trimmingCharacters(in: .whitespaces)
            return (.busy(holder: name.isEmpty ? "holder unknown" : name), prelude)
        }
        if line == unavailableLine { return (.unavailable, prelude) }
        return (.failed(line), prelude)
    }

    /// What the prelude printed: the output up to its end line.
    static func preludeOutput(_ printed: String) -> String {
        guard let end = printed.range(of: preludeEnd + "\n") else { return printed }
        return String(printed[..<end.lowerBound])
    }

    /// What came after the prelude: the lock command's (or sudo's) words.
    static func lockOutput(_ printed: String) -> String {
        guard let end = printed.range(of: preludeEnd + "\n") else { return printed }
        return String(printed[end.upperBound...])
    }

    /// The host lock, taken; `prelude` is what the prelude printed on the way.
    public struct Taken: Sendable {
        /// Nil when the host cannot be locked (no flock).
        public let held: HeldCommand?
        public let prelude: String
    }

    /// Takes the lock on the host behind `connection`, running `prelude` (as the login user,
    /// in the same round trip: the run's facts) first; `held` is nil when the host cannot be
    /// locked (no flock: `warn` says so). `waiting` hears once that another run holds it.
    public static func acquire(on connection: any CommandHolding, holder: String, wait: TimeInterval, path: String = HostLock.path,
                               prelude: String = ":", waiting: (String) -> Void, warn: (String) -> Void) throws -> Taken {
        let seconds = max(0, Int(wait.rounded(.up)))
        var (answer, printed) = try ask(connection, wait: 0, holder: holder, path: path, prelude: prelude)
        if case .busy(let other) = answer, seconds > 0 {
            waiting("another provision run holds this host (\(other)); waiting up to \(seconds) s for it (--lock-wait)")
            // Asked again, the prelude runs again: its output is as the lock is taken.
            (answer, printed) = try ask(connection, wait: seconds, holder: holder, path: path, prelude: prelude)
        }
        switch answer {
        case .held(let held):
            return Taken(held: held, prelude: printed)
        case .busy(let other):
            throw Failure.busy(holder: other, waited: seconds)
        case .unavailable:
            warn("flock (util-linux) is not installed: this host is not locked against other runs at the same time")
            return Taken(held: nil, prelude: printed)
        case .failed(let output):
            throw Failure.failed(output)
        }
    }
}
