import Foundation
import ProvisionCore
import Transport

/// Gathers `Facts` in one round trip with a POSIX sh script and parses its `key=value` lines.
public enum FactsGatherer {
    public static let script = """
        if [ -r /etc/os-release ]; then . /etc/os-release; fi
        echo "id=${ID:-unknown}"
        echo "version=${VERSION_ID:-}"
        echo "like=${ID_LIKE:-}"
        echo "arch=$(uname -m)"
        echo "hostname=$(uname -n)"
        if [ -d /run/systemd/system ]; then echo init=systemd; else echo init=sysv; fi
        for pm in dnf yum apt-get; do
          if command -v $pm >/dev/null 2>&1; then echo "pm=$pm"; break; fi
        done
        """

    public static func gather(on connection: any Connection) throws -> Facts {
        let result = try connection.run(script, stdin: Data(), become: false, timeout: 60, onOutput: nil)
        guard result.succeeded else {
            throw ModuleError("gathering facts failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return parse(result.stdoutText)
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
        return Facts(distribution: distribution, osID: id, osVersion: version, packageManager: packageManager,
                     initSystem: fields["init"] == "systemd" ? .systemd : .sysv,
                     architecture: fields["arch"] ?? "unknown", hostname: fields["hostname"] ?? "")
    }
}
