import Foundation
import ProvisionCore

/// The shell commands each package manager needs: one transaction for a whole list.
struct PackageManagerCommands: Sendable {
    let manager: Facts.PackageManager

    /// apt waits for a held dpkg lock up to this long before failing with a clear message.
    static let lockTimeoutSeconds = 120

    private var aptGet: String {
        "DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=\(Self.lockTimeoutSeconds)"
            + " -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
    }

    private var rpmTool: String { manager == .dnf ? "dnf -q -y" : "yum -q -y" }

    /// Prints `name<TAB>version` for each installed package of `names`; nothing for others.
    func queryInstalled(_ names: [String]) -> String {
        let list = Shell.join(names)
        switch manager {
        case .apt:
            return "dpkg-query -W -f='${Package}\\t${db:Status-Status}\\t${Version}\\n' -- \(list) 2>/dev/null"
                + " | awk -F'\\t' '$2 == \"installed\" { print $1 \"\\t\" $3 }'; true"
        default:
            return "rpm -q --qf '%{NAME}\\t%{VERSION}-%{RELEASE}\\n' -- \(list) 2>/dev/null | grep -v ' '; true"
        }
    }

    /// Prints the names among `names` (or of all packages when empty) with a newer version available.
    func queryUpgradable(_ names: [String]) -> String {
        switch manager {
        case .apt:
            let filter = names.isEmpty ? "" : " | grep -x -F " + names.map { "-e " + Shell.quote($0) }.joined(separator: " ")
            return Self.cachedAptUpgradable + filter + "; true"
        default:
            // check-update exits 100 when updates exist; its list is `name.arch version repo`.
            return "\(manager == .dnf ? "dnf" : "yum") -q check-update -- \(Shell.join(names)) 2>/dev/null"
                + " | awk 'NF == 3 && $1 !~ /^(Obsoleting|Security)/ { sub(/\\.[^.]*$/, \"\", $1); print $1 }'; true"
        }
    }

    /// `apt-get -s upgrade` costs half a second; its answer depends only on the package lists
    /// and dpkg's status, so it is kept on the host with their timestamps and reused while
    /// neither changed. Where the cache cannot be written (no root), it is simply recomputed.
    static let cachedAptUpgradable = """
        { stamp=$(stat -c %Y.%Z /var/lib/dpkg/status /var/lib/apt/lists 2>/dev/null | tr '\\n' ' ')
        c=/var/lib/provision/apt-upgradable
        if [ -r $c ] && [ "$(head -n 1 $c)" = "$stamp" ]; then tail -n +2 $c
        else out=$(LC_ALL=C apt-get -s -q upgrade 2>/dev/null | awk '/^Inst / { print $2 }')
          { mkdir -p /var/lib/provision && printf '%s\\n%s\\n' "$stamp" "$out" > $c.new && mv -f $c.new $c; } 2>/dev/null
          [ -n "$out" ] && printf '%s\\n' "$out"; fi; }
        """

    func install(_ names: [String]) -> String {
        manager == .apt ? "\(aptGet) install -- \(Shell.join(names))" : "\(rpmTool) install -- \(Shell.join(names))"
    }

    func upgrade(_ names: [String]) -> String {
        switch manager {
        case .apt:
            return names.isEmpty ? "\(aptGet) upgrade" : "\(aptGet) install --only-upgrade -- \(Shell.join(names))"
        case .yum:
            return "\(rpmTool) update -- \(Shell.join(names))"
        default:
            return "\(rpmTool) upgrade -- \(Shell.join(names))"
        }
    }

    func remove(_ names: [String]) -> String {
        manager == .apt ? "\(aptGet) remove -- \(Shell.join(names))" : "\(rpmTool) remove -- \(Shell.join(names))"
    }

    func updateCache() -> String {
        switch manager {
        case .apt: return "\(aptGet) update"
        case .dnf: return "dnf -q -y makecache"
        default: return "yum -q -y makecache"
        }
    }

    /// Prints the cache's age in seconds (apt only; rpm tools manage their own expiry).
    var cacheAgeProbe: String {
        "echo cache_age=$(( $(date +%s) - $(stat -c %Y /var/lib/apt/lists/partial /var/cache/apt/pkgcache.bin 2>/dev/null | sort -n | tail -1 || echo 0) ))"
    }
}
