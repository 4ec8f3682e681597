import Foundation
import ProvisionCore
import Transport

/// Gathers `Facts` in one round trip with a POSIX sh script and parses its `key=value` lines.
public enum FactsGatherer {
    /// The facts script's body: it ends without `exit`, so the host lock's round trip can
    /// run it first (`HostLock.acquire(prelude:)`).
    public static let body = """
        if [ -r /etc/os-release ]; then . /etc/os-release; fi
        echo "id=${ID:-unknown}"
        echo "version=${VERSION_ID:-}"
        echo "like=${ID_LIKE:-}"
        echo "codename=${VERSION_CODENAME:-}"
        # uname's answers from /proc where the kernel has them (kernel/arch since Linux 6.1).
        if read -r arch 2>/dev/null < /proc/sys/kernel/arch; then echo "arch=$arch"; else echo "arch=$(uname -m)"; fi
        if read -r name 2>/dev/null < /proc/sys/kernel/hostname; then echo "hostname=$name"; else echo "hostname=$(uname -n)"; fi
        if [ -d /run/systemd/system ]; then echo init=systemd; else echo init=sysv; fi
        for pm in dnf yum apt-get; do
          if command -v $pm >/dev/null 2>&1; then echo "pm=$pm"; break; fi
        done
        # The rest with shell builtins only.
        read -r kernel < /proc/sys/kernel/osrelease && echo "kernel=$kernel"
        read -r ostype 2>/dev/null < /proc/sys/kernel/ostype && echo "system=$ostype"
        [ -r /sys/devices/system/cpu/online ] && read -r cpus < /sys/devices/system/cpu/online && echo "cpus=$cpus"
        [ -r /proc/meminfo ] && read -r _ mem _ < /proc/meminfo && echo "mem_kb=$mem"
        printf 'env_HOME=%s\nenv_USER=%s\nenv_LOGNAME=%s\nenv_PATH=%s\nenv_SHELL=%s\nenv_LANG=%s\n' \
          "${HOME:-}" "${USER:-}" "${LOGNAME:-}" "${PATH:-}" "${SHELL:-}" "${LANG:-}"
        dev=
        if [ -r /proc/net/route ]; then
          while read -r l; do
            echo "route=$l"; set -- $l
            [ "$2" = 00000000 ] && [ "$8" = 00000000 ] && [ -z "$dev" ] && dev=$1
          done < /proc/net/route
        fi
        if [ -r /proc/net/fib_trie ]; then
          while read -r l; do [ "$l" = "Local:" ] && break; echo "trie=$l"; done < /proc/net/fib_trie
        fi
        [ -n "$dev" ] && [ -r "/sys/class/net/$dev/address" ] && read -r mac < "/sys/class/net/$dev/address" && echo "mac=$mac"
        """

    public static let script = body + "\nexit 0\n"

    public static func gather(on connection: any Connection) throws -> Facts {
        let result = try connection.run(script, stdin: Data(), become: false, timeout: 60, onOutput: nil)
        guard result.succeeded else {
            throw ModuleError("gathering facts failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return parse(result.stdoutText)
    }

    /// /sys/devices/system/cpu/online: "0-3", "0,2-5".
    static func cpuCount(_ list: String) -> Int? {
        var count = 0
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            guard let first = bounds.first else { return nil }
            count += (bounds.count == 2 ? bounds[1] : first) - first + 1
        }
        return count > 0 ? count : nil
    }

    public static func parse(_ output: String) -> Facts {
        var fields: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        let id = fields["id"] ?? "unknown"
        let version = fields["version"] ?? ""
        let distribution: Facts.Distribution
        switch (id, version) {
        case ("amzn", "2"): distribution = .amazonLinux2
        case ("amzn", let v) where v.hasPrefix("2023") || (Int(v.prefix(4)) ?? 0) >= 2023: distribution = .amazonLinux2023
        case ("debian", _): distribution = .debian
        case ("ubuntu", _): distribution = .ubuntu
        default: distribution = .other
        }
        // The distribution decides (a Debian host may have dnf installed for other reasons);
        // what is on the PATH decides only for distributions we don't know.
        let packageManager: Facts.PackageManager
        let like = (fields["like"] ?? "").split(separator: " ")
        switch distribution {
        case .debian, .ubuntu: packageManager = .apt
        case .amazonLinux2: packageManager = .yum
        case .amazonLinux2023: packageManager = .dnf
        case .other where like.contains("debian"): packageManager = .apt
        case .other:
            switch fields["pm"] {
            case "dnf": packageManager = .dnf
            case "yum": packageManager = .yum
            case "apt-get": packageManager = .apt
            default: packageManager = .unknown
            }
        }
        var facts = Facts(distribution: distribution, osID: id, osVersion: version, packageManager: packageManager,
                          initSystem: fields["init"] == "systemd" ? .systemd : .sysv,
                          architecture: fields["arch"] ?? "unknown", hostname: fields["hostname"] ?? "")
        facts.kernel = fields["kernel"] ?? ""
        facts.system = fields["system"] ?? "Linux"
        facts.codename = fields["codename"] ?? ""
        facts.userID = fields["env_USER"].flatMap { $0.isEmpty ? nil : $0 } ?? fields["env_LOGNAME"] ?? ""
        facts.processorCount = fields["cpus"].flatMap(Self.cpuCount)
        facts.memoryMB = fields["mem_kb"].flatMap { Int($0) }.map { $0 / 1024 }
        for (key, value) in fields where key.hasPrefix("env_") && !value.isEmpty { facts.environment[String(key.dropFirst(4))] = value }
        let lines = output.split(separator: "\n").map(String.init)
        facts.defaultIPv4 = DefaultIPv4.parse(route: lines.filter { $0.hasPrefix("route=") }.map { String($0.dropFirst(6)) },
                                              trie: lines.filter { $0.hasPrefix("trie=") }.map { String($0.dropFirst(5)) },
                                              macaddress: fields["mac"])
        return facts
    }
}
