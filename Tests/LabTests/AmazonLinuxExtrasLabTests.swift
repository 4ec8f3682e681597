import Foundation
import XCTest

/// `amazon_linux_extras` on a fresh `al2` host of the lab (`scripts/lab launch NAME --fresh
/// --kind al2`): AL2's /etc/os-release, so provision's facts choose the AL2 path (yum +
/// extras) by themselves, and the lab's `amazon-linux-extras` (its `list` format, its state in
/// `/etc/yum.repos.d/amzn2-extras.repo`, each topic an extra repo of RPMs). The test reads
/// what the host's yum then sees, not what provision says it did.
final class AmazonLinuxExtrasLabTests: XCTestCase {
    let host = "al2-x"
    var probe: PlaybookProbe!

    override func setUpWithError() throws {
        try Lab.require()
        Lab.lab(["destroy", host])
        let launched = Lab.lab(["launch", host, "--fresh", "--kind", "al2", "--trust"])
        guard launched.status == 0 else {
            throw Prerequisite.missing("cannot launch an al2 host (scripts/lab build builds the kind): \(launched.all)")
        }
        XCTAssertEqual(Lab.lab(["check-login", host]).status, 0)
        probe = try PlaybookProbe(host: host)
    }

    override func tearDown() {
        probe?.remove()
        Lab.lab(["destroy", host])
    }

    func play(_ tasks: String) -> String { "- hosts: web\n  become: true\n  tasks:\n" + tasks }

    func testTopicEnabledOnceThenDisabled() throws {
        let state = { Lab.ssh(self.host, "cat /etc/yum.repos.d/amzn2-extras.repo 2>/dev/null; echo ---").stdout }
        // Where yum would take php-fpm from: the topic's repo once it is enabled, core's 5.4 before.
        let phpFrom = {
            Lab.ssh(self.host, "yum -q list available php-fpm 2>/dev/null | awk '$1 ~ /^php-fpm/ { print $2, $3 }' | sort | tail -1").stdout
        }
        XCTAssertEqual(phpFrom(), "5.4.16-1.amzn2.lab amzn2-core\n")

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
        XCTAssertTrue(phpFrom().hasSuffix(" amzn2extra-php8.2\n"), phpFrom())
        let listed = Lab.ssh(host, "amazon-linux-extras list | awk '$2 ~ /^php8.2/ { print $2, $3 }'")
        XCTAssertEqual(listed.stdout, "php8.2=latest enabled\n", listed.all)

        // Another PHP topic cannot join php8.2 (the real tool refuses): the task fails, clearly.
        let clash = try probe.run(play("""
                - name: PHP 8.1 too
                  amazon_linux_extras: {name: php8.1}
            """))
        XCTAssertEqual(clash.status, 2, clash.output)
        XCTAssertTrue(clash.output.contains("invalid combination"), clash.output)

        try probe.assertConverges(play("""
                - name: PHP topics off
                  amazon_linux_extras: {name: [php8.2, php8.1], state: absent}
            """), expected: ["PHP topics off": true], state: state)
        XCTAssertFalse(state().contains("php8.2"), state())
        XCTAssertEqual(phpFrom(), "5.4.16-1.amzn2.lab amzn2-core\n")

        let unknown = try probe.run(play("""
                - name: no such topic
                  amazon_linux_extras: {name: php8.3}
            """))
        XCTAssertEqual(unknown.status, 2, unknown.output)
        XCTAssertTrue(unknown.output.contains("amazon-linux-extras has no topic 'php8.3' (did you mean php8."), unknown.output)
    }
}
