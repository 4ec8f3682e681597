import Foundation
import XCTest

/// `amazon_linux_extras` on a lab host that reports itself as Amazon Linux 2 (the real AL2
/// /etc/os-release), so provision's facts choose the AL2 path (yum + extras) by themselves.
/// Amazon's `amazon-linux-extras` and `yum` exist only on AL2 images, which this machine
/// cannot run; the host gets small stand-ins that keep the real tool's `list` format and
/// its state file (`/etc/yum.repos.d/amzn2-extras.repo`), and record every call, so the test
/// sees what provision asked for, not what the stand-in was told to answer.
final class AmazonLinuxExtrasLabTests: XCTestCase {
    let host = "al2"
    var probe: PlaybookProbe!

    static let osRelease = """
        NAME="Amazon Linux"
        VERSION="2"
        ID="amzn"
        ID_LIKE="centos rhel fedora"
        VERSION_ID="2"
        PRETTY_NAME="Amazon Linux 2"
        ANSI_COLOR="0;33"
        CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2"
        HOME_URL="https://amazonlinux.com/"
        SUPPORT_END="2026-06-30"
        """

    static let extras = #"""
        #!/bin/sh
        # Stand-in for Amazon's amazon-linux-extras: its `list` format, its repo file.
        repo=/etc/yum.repos.d/amzn2-extras.repo
        catalog="0 ansible2 2 httpd_modules 58 php8.0 62 php8.1 63 php8.2 64 nginx1"
        echo "amazon-linux-extras $*" >> /var/log/al2-calls.log
        on() { grep -q "^\[amzn2extra-$1\]" "$repo" 2>/dev/null; }
        known() { for t in $catalog; do [ "$t" = "$1" ] && return 0; done; return 1; }
        case $1 in
          list) set -- $catalog
                while [ $# -gt 0 ]; do
                  if on "$2"; then printf '%3s  %-24s %-12s [ =stable ]\n' "$1" "$2=latest" enabled
                  else printf '%3s  %-24s %-12s [ =stable ]\n' "$1" "$2" available; fi
                  shift 2
                done ;;
          enable) [ "$(id -u)" = 0 ] || { echo "must be root" >&2; exit 1; }
                  known "$2" || { echo "Topic $2 is not found." >&2; exit 1; }
                  on "$2" || printf '[amzn2extra-%s]\nenabled = 1\n' "$2" >> "$repo" ;;
          disable) [ "$(id -u)" = 0 ] || exit 1
                   sed -i "/^\[amzn2extra-$2\]/,+1d" "$repo" ;;
          *) exit 2 ;;
        esac
        """#

    override func setUpWithError() throws {
        try Lab.require()
        Lab.lab(["destroy", host])
        let launched = Lab.lab(["launch", host, "--from", "web-2", "--trust"])
        guard launched.status == 0 else { return XCTFail("launch failed: \(launched.all)") }
        let setup = """
            set -e
            printf '%s\\n' \(quoted(Self.osRelease)) > /etc/os-release
            printf '%s\\n' \(quoted(Self.extras)) > /usr/bin/amazon-linux-extras
            printf '#!/bin/sh\\necho "yum $*" >> /var/log/al2-calls.log\\n' > /usr/bin/yum
            chmod 755 /usr/bin/amazon-linux-extras /usr/bin/yum
            mkdir -p /etc/yum.repos.d; rm -f /etc/yum.repos.d/amzn2-extras.repo /var/log/al2-calls.log
            """
        let done = Lab.ssh(host, "sudo -n sh -c \(quoted(setup))")
        XCTAssertEqual(done.status, 0, done.all)
        probe = try PlaybookProbe(host: host)
    }

    override func tearDown() {
        probe?.remove()
        Lab.lab(["destroy", host])
    }

    func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    func play(_ tasks: String) -> String { "- hosts: web\n  become: true\n  tasks:\n" + tasks }

    func testTopicEnabledOnceThenDisabled() throws {
        let state = { Lab.ssh(self.host, "cat /etc/yum.repos.d/amzn2-extras.repo 2>/dev/null; echo ---").stdout }
        let calls = { Lab.ssh(self.host, "grep -v ' list' /var/log/al2-calls.log 2>/dev/null").stdout }

        // The facts say Amazon Linux 2, so the playbook's AL2-only task runs; the Debian one is skipped.
        try probe.assertConverges(play("""
                - name: PHP topic
                  amazon_linux_extras: {name: php8.2}
                  when: os_name == "Amazon Linux 2" and ansible_pkg_mgr == "yum"
                - name: Debian only
                  command: /bin/false
                  when: ansible_os_family == "Debian"
            """), expected: ["PHP topic": true, "Debian only": false], state: state)
        XCTAssertTrue(state().contains("[amzn2extra-php8.2]"), state())
        // Enabled once, then yum's metadata dropped so the topic's packages are seen: nothing more.
        XCTAssertEqual(calls(), "amazon-linux-extras enable php8.2\nyum clean metadata\n")

        try probe.assertConverges(play("""
                - name: PHP topics off
                  amazon_linux_extras: {name: [php8.2, php8.1], state: absent}
            """), expected: ["PHP topics off": true], state: state)
        XCTAssertFalse(state().contains("php8.2"), state())
        XCTAssertTrue(calls().hasSuffix("amazon-linux-extras disable php8.2\nyum clean metadata\n"), calls())

        let unknown = try probe.run(play("""
                - name: no such topic
                  amazon_linux_extras: {name: php8.3}
            """))
        XCTAssertEqual(unknown.status, 2, unknown.output)
        XCTAssertTrue(unknown.output.contains("amazon-linux-extras has no topic 'php8.3' (did you mean php8."), unknown.output)
    }
}
