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

    /// Transactions without -q: dnf and yum say "Nothing to do" only when not quiet.
    private var rpmTransaction: String { manager == .dnf ? "dnf -y" : "yum -y" }

    /// What dnf and yum print when a transaction had nothing to install, upgrade or remove.
    static func nothingToDo(_ output: String) -> Bool { output.contains("Nothing to do") }

    /// Prints `name<TAB>version` for each installed package of `names`; nothing for others.
    /// On rpm hosts a name may be a capability another package provides (AL2023's `php-fpm`
    /// is provided by `php8.2-fpm`), as dnf and yum resolve it: `rpm -q` matches package
    /// names (and name.arch), `--whatprovides` the capabilities.
    func queryInstalled(_ names: [String]) -> String {
        let list = Shell.join(names)
        switch manager {
        case .apt:
            // (The shell keeps the installed ones: one process, no awk.)
            return "dpkg-query -W -f='${Package} ${db:Status-Status} ${Version}\\n' -- \(list) 2>/dev/null"
                + " | while read -r p s v; do [ \"$s\" = installed ] && printf '%s\\t%s\\n' \"$p\" \"$v\"; done; true"
        default:
            // (rpm prints "package X is not installed" on stdout: only a query that succeeded counts.)
            // (The first of several versions by parameter expansion, not `head`.)
            return "nl='\n'; for n in \(list); do if v=$(rpm -q --qf '%{VERSION}-%{RELEASE}\\n' -- \"$n\" 2>/dev/null)"
                + " || v=$(rpm -q --whatprovides --qf '%{VERSION}-%{RELEASE}\\n' -- \"$n\" 2>/dev/null);"
                + " then printf '%s\\t%s\\n' \"$n\" \"${v%%\"$nl\"*}\"; fi; done; true"
        }
    }

    /// Prints the names among `names` (or of all packages when empty) with a newer version available.
    /// With `mayWrite` false (check mode) nothing on the host is written, not even the cache.
    func queryUpgradable(_ names: [String], mayWrite: Bool = true) -> String {
        switch manager {
        case .apt:
            let filter = names.isEmpty ? "" : " | grep -x -F " + names.map { "-e " + Shell.quote($0) }.joined(separator: " ")
            return (mayWrite ? Self.cachedAptUpgradable : Self.aptUpgradableReadOnly) + filter + "; true"
        default:
            // check-update exits 100 when updates exist; its list is `name.arch version repo`.
            let list = " | awk 'NF == 3 && $1 !~ /^(Obsoleting|Security)/ { sub(/\\.[^.]*$/, \"\", $1); print $1 }'; true"
            let query = { (options: String) in
                "\(manager == .dnf ? "dnf" : "yum") -q \(options)check-update -- \(Shell.join(names)) 2>/dev/null" + list
            }
            return mayWrite ? query("") : Self.rpmReadOnly(query: query("--setopt=cachedir=\"$t/cache\" --setopt=logdir=\"$t\" "))
        }
    }

    /// Check mode on dnf/yum hosts: the query runs as a real run's would (metadata past
    /// metadata_expire is refreshed: that is how the run will see a new version), but on a
    /// copy of the cache in `$t`, logging there too, and `$t` is removed: the host's
    /// /var/cache/dnf and /var/log stay as they were.
    static func rpmReadOnly(query: String) -> String {
        """
        { t=$(mktemp -d) && if [ -d /var/cache/dnf ]; then cp -a /var/cache/dnf "$t/cache"; else mkdir "$t/cache"; fi
        \(query)
        rm -rf "$t"; }
        """
    }

    /// `apt-get -s upgrade` without touching apt's own cache files: as root apt would rewrite
    /// pkgcache.bin, and a probe (in check mode above all) writes nothing.
    static let aptSimulateUpgrade = "LC_ALL=C apt-get -s -q -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= upgrade 2>/dev/null | awk '/^Inst / { print $2 }'"

    /// `apt-get -s upgrade` costs half a second; its answer depends only on the package lists
    /// and dpkg's status, so it is kept on the host with their timestamps and reused while
    /// neither changed. Where the cache cannot be written (no root), it is simply recomputed.
    /// A kept answer costs one process (`stat`): the shell reads the file itself.
    static let cachedAptUpgradable = """
        { \(aptUpgradableStamp)
        if \(aptUpgradableKept); then :; else out=$(\(aptSimulateUpgrade))
          { mkdir -p /var/lib/provision && printf '%s\\n%s\\n' "$stamp" "$out" > $c.new && mv -f $c.new $c; } 2>/dev/null
          [ -n "$out" ] && printf '%s\\n' "$out"; fi; }
        """

    /// Check mode: the kept answer when it is current, else computed; never written.
    static let aptUpgradableReadOnly = """
        { \(aptUpgradableStamp)
        if \(aptUpgradableKept); then :; else \(aptSimulateUpgrade); fi; }
        """

    /// Sets `stamp` (the mtimes and ctimes of dpkg's status and apt's lists, on one line) and
    /// `c`, the file that keeps the answer.
    private static let aptUpgradableStamp =
        "stamp=$(stat --printf '%Y.%Z ' /var/lib/dpkg/status /var/lib/apt/lists 2>/dev/null); c=/var/lib/provision/apt-upgradable"

    /// Succeeds, printing the kept answer, when `$c`'s first line is the current `stamp`.
    private static let aptUpgradableKept =
        "[ -r $c ] && { IFS= read -r kept && [ \"$kept\" = \"$stamp\" ] && while IFS= read -r l; do printf '%s\\n' \"$l\"; done; } < $c"

    func install(_ names: [String]) -> String {
        manager == .apt ? "\(aptGet) install -- \(Shell.join(names))" : "\(rpmTransaction) install -- \(Shell.join(names))"
    }

    func upgrade(_ names: [String]) -> String {
        switch manager {
        case .apt:
            return names.isEmpty ? "\(aptGet) upgrade" : "\(aptGet) install --only-upgrade -- \(Shell.join(names))"
        case .yum:
            return "\(rpmTransaction) update -- \(Shell.join(names))"
        default:
            return "\(rpmTransaction) upgrade -- \(Shell.join(names))"
        }
    }

    func remove(_ names: [String]) -> String {
        manager == .apt ? "\(aptGet) remove -- \(Shell.join(names))" : "\(rpmTransaction) remove -- \(Shell.join(names))"
    }

    func updateCache() -> String {
        switch manager {
        case .apt: return "\(aptGet) update"
        // A refresh asked for is a refresh: past metadata_expire or not.
        case .dnf: return "dnf -q -y makecache --refresh"
        default: return "yum -q -y clean expire-cache && yum -q -y makecache"
        }
    }

    /// Files that only a refresh of the package lists writes, newest first by mtime:
    /// apt-get update always writes into lists/ (partial/ even when nothing changed; never
    /// pkgcache.bin, which any apt command run as root may rebuild); dnf resets the
    /// timestamp of each repo's primary metadata (its "last metadata expiration check");
    /// yum 3 touches each repo's cachecookie.
    var cacheStampFiles: String {
        switch manager {
        case .apt: return "/var/lib/apt/lists/partial /var/lib/apt/lists"
        default: return "/var/cache/dnf/*/repodata/*primary.xml* /var/cache/yum/*/*/*/cachecookie /var/cache/yum/*/*/*/repomd.xml"
        }
    }

    /// Prints `cache_age=SECONDS` since the last refresh, or `cache_age=none` when there is none.
    /// The shell finds the newest mtime: two processes (`stat`, `date`), not four.
    var cacheAgeProbe: String {
        "t=; for s in $(stat -c %Y \(cacheStampFiles) 2>/dev/null); do [ \"${t:-0}\" -lt \"$s\" ] && t=$s; done; "
            + "if [ -n \"$t\" ]; then echo cache_age=$(( $(date +%s) - t )); else echo cache_age=none; fi"
    }
}
