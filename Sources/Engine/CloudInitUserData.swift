import Foundation
import ProvisionCore

/// The cloud-config user-data `provision cloud-init` prints for a launch template: at first
/// boot the instance fetches the binary and the bundle (HTTPS, or S3 through the aws CLI and
/// the instance's role), checks their SHA-256, runs `provision pull` once, and reports the
/// exit code on the console, in cloud-init's log (/var/log/cloud-init-output.log), in
/// `statusFile`, which a health check or a later login can read, and as the instance's tag
/// `tagKey` (`running`, then `exit_code=N`), which `aws ec2 describe-instances` shows.
///
/// User-data is readable by anyone on the instance, so it must never hold a secret: variables
/// with a secret's name are refused (secrets come from the secrets file or the environment
/// the instance's role provides).
public struct CloudInitUserData: Sendable {
    public static let scriptPath = "/usr/local/sbin/provision-pull-at-boot"
    public static let workDirectory = "/var/lib/provision"
    public static let statusFile = "/var/lib/provision/pull-status"
    public static let binaryPath = "/usr/local/bin/provision"
    /// The instance tag the result goes to, where the aws CLI and the role allow it.
    public static let tagKey = "provision:pull"

    /// `report STATUS`: the result in `statusFile` and as the instance's tag `tagKey` (the
    /// instance id and region from IMDSv2; without the aws CLI, IMDS or ec2:CreateTags it
    /// says so and goes on: the file and the console still have it).
    static let reportFunction = """
        report() {
          echo "$1" >\(statusFile)
          command -v aws >/dev/null 2>&1 || return 0
          t=$(curl -fsS -m 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token 2>/dev/null) || return 0
          id=$(curl -fsS -m 2 -H "X-aws-ec2-metadata-token: $t" http://169.254.169.254/latest/meta-data/instance-id 2>/dev/null) || return 0
          region=$(curl -fsS -m 2 -H "X-aws-ec2-metadata-token: $t" http://169.254.169.254/latest/meta-data/placement/region 2>/dev/null) || return 0
          aws ec2 create-tags --region "$region" --resources "$id" --tags "Key=\(tagKey),Value=$1" >/dev/null 2>&1 \\
            || say "could not tag $id with \(tagKey)=$1 (the role needs ec2:CreateTags)"
        }
        """

    /// The packages of the C libraries the static binary links (`ldd`), by package manager.
    public static let libraries = (apt: ["libssh2-1", "libmariadb3", "libcurl4", "libxml2"],
                                   dnf: ["libssh2", "mariadb-connector-c", "libxml2", "libcurl-minimal"])

    public var bundleURL: String
    public var bundleSHA256: String?
    public var binaryURL: String?
    public var binarySHA256: String?
    /// `-e` values handed to the pull, in order (never secrets).
    public var extraVariables: [(String, String)] = []

    public init(bundleURL: String, bundleSHA256: String? = nil, binaryURL: String? = nil, binarySHA256: String? = nil,
                extraVariables: [(String, String)] = []) throws {
        for (flag, url) in [("--bundle-url", bundleURL), ("--binary-url", binaryURL)] {
            guard let url else { continue }
            guard url.hasPrefix("https://") || url.hasPrefix("http://") || url.hasPrefix("s3://"), !url.contains("\n") else {
                throw InputError("\(flag) \(url) must be an https://, http:// or s3:// URL")
            }
        }
        for (flag, sum) in [("--bundle-sha256", bundleSHA256), ("--sha256", binarySHA256)] {
            guard let sum else { continue }
            guard sum.count == 64, sum.allSatisfy(\.isHexDigit) else { throw InputError("\(flag) must be 64 hexadecimal digits, not '\(sum)'") }
        }
        if binaryURL != nil, binarySHA256 == nil {
            throw InputError("--binary-url needs --sha256 (the binary's checksum, from `sha256sum provision`)")
        }
        if binaryURL == nil, binarySHA256 != nil { throw InputError("--sha256 is the checksum of --binary-url, which is missing") }
        for (name, _) in extraVariables where SecretNames.shared.isSecret(name) {
            throw InputError("-e \(name): a secret must not be in user-data (anyone on the instance can read it)",
                             hint: "put it in the secrets file or the environment the instance's role provides")
        }
        self.bundleURL = bundleURL
        self.bundleSHA256 = bundleSHA256?.lowercased()
        self.binaryURL = binaryURL
        self.binarySHA256 = binarySHA256?.lowercased()
        self.extraVariables = extraVariables
    }

    /// The boot script (POSIX sh), run once by cloud-init's `runcmd`.
    public var script: String {
        var lines = [
            "#!/bin/sh",
            "# Written by `provision cloud-init`: fetch, verify, run provision pull once, report.",
            "set -u",
            "umask 077",
            "say() { echo \"provision-pull: $*\"; echo \"provision-pull: $*\" 2>/dev/null >/dev/console || true; }",
            "fetch() {",
            "  case \"$1\" in",
            "    s3://*) aws s3 cp --only-show-errors \"$1\" \"$2\" ;;",
            "    *) curl -fsSL --retry 10 --retry-connrefused --retry-delay 3 -o \"$2\" \"$1\" ;;",
            "  esac",
            "}",
            Self.reportFunction,
            "fail() { say \"$1\"; report \"exit_code=$2\"; exit \"$2\"; }",
            "mkdir -p \(Self.workDirectory) && chmod 0700 \(Self.workDirectory) && cd \(Self.workDirectory) || exit 1",
            "report running",
        ]
        if let binaryURL, let binarySHA256 {
            lines += [
                "fetch \(Shell.quote(binaryURL)) provision.download || fail 'cannot fetch the provision binary' 1",
                "echo '\(binarySHA256)  provision.download' | sha256sum -c --status || fail 'the provision binary does not match its sha256' 1",
                "chmod 0755 provision.download && mv -f provision.download \(Self.binaryPath) || fail 'cannot install the provision binary' 1",
            ]
        }
        // The C libraries the static binary links (README, "Pull mode at boot"), when the image lacks them.
        lines += [
            "if ldd \(Self.binaryPath) | grep -q 'not found'; then",
            "  say 'installing the C libraries provision needs'",
            "  if command -v dnf >/dev/null; then dnf install -y -q \(Self.libraries.dnf.joined(separator: " "))",
            "  else apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \(Self.libraries.apt.joined(separator: " ")); fi >/dev/null || fail 'cannot install the C libraries provision needs' 1",
            "fi",
        ]
        lines += ["fetch \(Shell.quote(bundleURL)) bundle.tar || fail 'cannot fetch the bundle' 1"]
        var pull = [Self.binaryPath, "pull"]
        if let bundleSHA256 { pull += ["--sha256", bundleSHA256] }
        for (name, value) in extraVariables { pull += ["-e", Shell.quote("\(name)=\(value)")] }
        pull += ["bundle.tar"]
        // sh has no pipefail: the pull's exit code crosses the pipe to the console in a file.
        lines += [
            "say \(Shell.quote("starting " + pull.joined(separator: " ")))",
            "{ \(pull.joined(separator: " ")) 2>&1; echo $? >pull-exit; } | tee -a /dev/console 2>/dev/null",
        ]
        lines += [
            "status=$(cat pull-exit)",
            "report \"exit_code=$status\"",
            "say \"finished: exit $status (0 all good, 1 bad input, 2 a task failed, 4 unreachable)\"",
            "exit \"$status\"",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The whole user-data document.
    public var text: String {
        let indented = script.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            .map { $0.isEmpty ? "" : "      " + $0 }.joined(separator: "\n")
        return """
            #cloud-config
            # provision pull at first boot (made by `provision cloud-init`). No secrets here:
            # user-data is readable by anyone on the instance.
            write_files:
              - path: \(Self.scriptPath)
                permissions: '0755'
                owner: root:root
                content: |
            \(indented)
            runcmd:
              - [\(Self.scriptPath)]
            output:
              all: '| tee -a /var/log/cloud-init-output.log'

            """
    }
}
