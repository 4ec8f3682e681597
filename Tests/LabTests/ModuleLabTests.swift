import Foundation
import XCTest

/// Each module through the real `provision` binary on lab host web-2 (Debian 12, no
/// systemd: services through `service` and `update-rc.d`): `--check` predicts the first
/// run, the first run changes, the second run and `--check` report nothing.
final class ModuleLabTests: XCTestCase {
    let host = "web-2"
    var probe: PlaybookProbe!
    var cleanup: [String] = []

    override func setUpWithError() throws {
        try Lab.require()
        probe = try PlaybookProbe(host: host)
    }

    override func tearDown() {
        for command in cleanup.reversed() { Lab.ssh(host, "sudo -n sh -c \(shellQuoted(command))") }
        probe?.remove()
    }

    func remote(_ command: String) -> String {
        let out = Lab.ssh(host, "sudo -n sh -c \(shellQuoted(command))")
        return "\(out.status)\n\(out.stdout)"
    }

    func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    func play(_ tasks: String) -> String {
        "- hosts: web\n  become: true\n  tasks:\n" + tasks
    }

    func testPackageListInstalledInOneTransactionThenRemoved() throws {
        cleanup.append("apt-get remove -y -q hello sl >/dev/null 2>&1 || true")
        Lab.ssh(host, "sudo -n apt-get remove -y -q hello sl >/dev/null 2>&1")
        let state = { self.remote("dpkg-query -W -f='${Package} ${db:Status-Status}\\n' hello sl 2>/dev/null") }
        let history = { self.remote("grep -c '^Commandline:' /var/log/apt/history.log 2>/dev/null || true") }
        let transactionsBefore = history()
        try probe.assertConverges(play("""
                - name: two small packages
                  apt: {name: [hello, sl], update_cache: true, cache_valid_time: 3600}
            """), expected: ["two small packages": true], state: state)
        XCTAssertTrue(state().contains("hello installed") && state().contains("sl installed"), state())
        // Both in one apt-get run: one new history entry, naming both.
        let newEntries = (Int(history().split(separator: "\n").last ?? "0") ?? 0)
            - (Int(transactionsBefore.split(separator: "\n").last ?? "0") ?? 0)
        XCTAssertEqual(newEntries, 1, "one apt transaction for the list")
        XCTAssertTrue(remote("grep '^Commandline:' /var/log/apt/history.log | tail -1").contains("hello sl"))

        try probe.assertConverges(play("""
                - name: gone again
                  package: {name: [sl, hello], state: absent}
            """), expected: ["gone again": true], state: state)
        XCTAssertFalse(state().contains(" installed"), state())
    }

    /// A real sysv service: an init script with LSB headers, run by `service`, enabled
    /// with `update-rc.d` (S links), as on the lab and on non-systemd hosts.
    func testSysvServiceStartedEnabledThenStoppedDisabled() throws {
        cleanup.append("service provtest stop >/dev/null 2>&1; update-rc.d -f provtest remove >/dev/null 2>&1; rm -f /etc/init.d/provtest")
        let state = {
            self.remote("service provtest status >/dev/null 2>&1 && echo running || echo stopped; ls /etc/rc2.d/ | grep provtest || true; ls /etc/init.d/provtest 2>&1")
        }
        let initScript = """
                #!/bin/sh
                ### BEGIN INIT INFO
                # Provides:          provtest
                # Required-Start:    $remote_fs
                # Required-Stop:     $remote_fs
                # Default-Start:     2 3 4 5
                # Default-Stop:      0 1 6
                # Short-Description: provision's test daemon
                ### END INIT INFO
                PID=/run/provtest.pid
                case "$1" in
                  start) start-stop-daemon --start --quiet --background --make-pidfile --pidfile $PID --exec /bin/sleep -- 100000 ;;
                  stop) start-stop-daemon --stop --quiet --pidfile $PID --retry 5 --oknodo; rm -f $PID ;;
                  restart|reload|force-reload) "$0" stop; "$0" start ;;
                  status) start-stop-daemon --status --pidfile $PID ;;
                  *) echo "usage: $0 start|stop|restart|status" >&2; exit 3 ;;
                esac
                """
        let indented = initScript.split(separator: "\n", omittingEmptySubsequences: false).map { "          " + $0 }.joined(separator: "\n")
        try probe.assertConverges(play("""
                - name: init script
                  copy:
                    dest: /etc/init.d/provtest
                    mode: "0755"
                    content: |
            \(indented)
                - name: provtest running and enabled
                  service: {name: provtest, state: started, enabled: true}
            """), expected: ["init script": true, "provtest running and enabled": true], state: state)
        XCTAssertTrue(state().contains("running"), state())
        XCTAssertTrue(state().contains("S01provtest"), "update-rc.d made the start link: \(state())")

        try probe.assertConverges(play("""
                - name: provtest stopped and disabled
                  service: {name: provtest, state: stopped, enabled: false}
            """), expected: ["provtest stopped and disabled": true], state: state)
        XCTAssertTrue(state().contains("stopped"), state())
        XCTAssertFalse(state().contains("S01provtest"), state())

        // restarted always acts (as in Ansible), and check mode says so.
        let restart = play("""
                - name: restart it
                  service: {name: provtest, state: restarted}
            """)
        XCTAssertEqual(try probe.run(restart, check: true).changed, ["restart it": true])
        XCTAssertEqual(try probe.run(restart).changed, ["restart it": true])
        XCTAssertTrue(state().contains("running"), state())

        let missing = try probe.run(play("""
                - name: no such service
                  service: {name: provtest-nonexistent, state: started}
            """))
        XCTAssertEqual(missing.status, 2, missing.output)
        XCTAssertTrue(missing.output.contains("service provtest-nonexistent not found on web-2"), missing.output)
    }

    func testCommandAndShellHonourCreatesAndRemoves() throws {
        let dir = "/var/tmp/provision-cmdtest"
        cleanup.append("rm -rf \(dir)")
        Lab.ssh(host, "sudo -n rm -rf \(dir)")
        let state = { self.remote("ls -A \(dir) 2>&1; cat \(dir)/made 2>/dev/null") }
        // Words with shell metacharacters reach `command` as plain words, never a shell.
        try probe.assertConverges(play("""
                - name: directory made
                  command: mkdir -p \(dir)
                  args: {creates: \(dir)}
                - name: a file written by a shell pipeline
                  shell: printf '%s\\n' "$(echo piped | tr a-z A-Z)" > \(dir)/made
                  args: {creates: \(dir)/made}
                - name: a word that looks like shell
                  command: touch '\(dir)/a;b $(x)'
                  args: {creates: '\(dir)/a;b $(x)'}
                - name: the scratch file removed when present
                  shell: rm -f \(dir)/scratch
                  args: {removes: \(dir)/scratch}
            """), expected: ["directory made": true, "a file written by a shell pipeline": true,
                             "a word that looks like shell": true, "the scratch file removed when present": false],
            state: state)
        XCTAssertTrue(state().contains("PIPED"), state())
        XCTAssertTrue(state().contains("a;b $(x)"), state())

        // removes: runs once the file exists, then not again.
        Lab.ssh(host, "sudo -n touch \(dir)/scratch")
        let remover = play("""
                - name: the scratch file removed when present
                  shell: rm -f \(dir)/scratch
                  args: {removes: \(dir)/scratch}
            """)
        XCTAssertEqual(try probe.run(remover, check: true).changed, ["the scratch file removed when present": true])
        XCTAssertEqual(try probe.run(remover).changed, ["the scratch file removed when present": true])
        XCTAssertEqual(try probe.run(remover).changed, ["the scratch file removed when present": false])

        // Without creates/removes a command always runs; check mode does not run it and
        // counts it as a change it cannot see (assumed), so the recap predicts the real run.
        let always = play("""
                - name: always
                  command: /bin/true
            """)
        XCTAssertEqual(try probe.run(always).changed, ["always": true])
        let predicted = try probe.run(always, check: true)
        XCTAssertEqual(predicted.statuses, ["always": "changed"], predicted.output)
        XCTAssertEqual(predicted.assumed, ["always"], predicted.output)
    }

    func testFileCopyAndLineinfile() throws {
        let dir = "/var/tmp/provision-filemods"
        cleanup.append("rm -rf \(dir)")
        Lab.ssh(host, "sudo -n rm -rf \(dir)")
        // copy with force: false writes the file once; lineinfile then owns those lines.
        let state = { self.remote("cd \(dir) 2>&1 && find . -printf '%p %y %u:%g %m %l\\n' | sort && cat conf") }
        try probe.assertConverges(play("""
                - name: directory
                  file: {path: \(dir)/sub, state: directory, owner: www-data, group: www-data, mode: "0750"}
                - name: config file
                  copy:
                    dest: \(dir)/conf
                    content: "# generated\\nListen 80\\nKeepAlive On\\n"
                    mode: "0640"
                    group: www-data
                    force: false
                - name: a setting replaced
                  lineinfile: {path: \(dir)/conf, regexp: '^Listen ', line: Listen 8080}
                - name: a setting added after another
                  lineinfile: {path: \(dir)/conf, line: Timeout 30, insertafter: '^Listen '}
                - name: a link
                  file: {src: \(dir)/conf, dest: \(dir)/current, state: link}
                - name: nothing where nothing belongs
                  file: {path: \(dir)/stale, state: absent}
            """), expected: ["directory": true, "config file": true, "a setting replaced": true,
                             "a setting added after another": true, "a link": true,
                             "nothing where nothing belongs": false],
            state: state)
        let result = state()
        XCTAssertTrue(result.contains("./sub d www-data:www-data 750"), result)
        XCTAssertTrue(result.contains("./conf f root:www-data 640"), result)
        XCTAssertTrue(result.contains("./current l root:root 777 \(dir)/conf"), result)
        XCTAssertTrue(result.hasSuffix("# generated\nListen 8080\nTimeout 30\nKeepAlive On\n"), result)
    }

    /// replace, blockinfile, group and user on a real host: changed once, then ok, and the
    /// account's password hash set without appearing in any output.
    func testReplaceBlockinfileGroupAndUser() throws {
        let dir = "/var/tmp/provision-editmods"
        let account = "provlab\(Int.random(in: 1000...9999))"
        cleanup.append("rm -rf \(dir); userdel -r \(account) 2>/dev/null; groupdel \(account)-g 2>/dev/null; true")
        Lab.ssh(host, "sudo -n rm -rf \(dir) && sudo -n mkdir -p \(dir) && printf 'ServerName old.example\\nTimeout 30\\n' | sudo -n tee \(dir)/site.conf >/dev/null")
        // A SHA-512 crypt hash as `mkpasswd -m sha-512` writes one (chpasswd -e stores it as given).
        let hash = "$6$provlabsalt$QHUHLe5JHmGNAdJDYdpw3dU.v4w1CXzTuiCa7FvzXhEUSQE1Rl2zzF3czrLP2hHhbH5vCk9jnY9A1YthK7wBy0"
        let state = { self.remote("cat \(dir)/site.conf; getent group \(account)-g | cut -d: -f1,3; getent passwd \(account) | cut -d: -f1,6,7; id -Gn \(account); sudo -n getent shadow \(account) | cut -d: -f2") }
        try probe.assertConverges(play("""
                - name: a setting replaced
                  replace: {path: \(dir)/site.conf, regexp: '^ServerName (?!www\\.)(\\S+)$', replace: 'ServerName www.\\1'}
                - name: a managed block
                  blockinfile:
                    path: \(dir)/site.conf
                    block: |
                      KeepAlive On
                      MaxKeepAliveRequests 100
                - name: a group
                  group: {name: \(account)-g, gid: 4711}
                - name: a user
                  user: {name: \(account), groups: [\(account)-g], shell: /bin/sh, home: /home/\(account), password: '\(hash)'}
            """), expected: ["a setting replaced": true, "a managed block": true, "a group": true, "a user": true],
            state: state)
        let result = state()
        XCTAssertTrue(result.contains("ServerName www.old.example\nTimeout 30\n# BEGIN ANSIBLE MANAGED BLOCK\nKeepAlive On\nMaxKeepAliveRequests 100\n# END ANSIBLE MANAGED BLOCK\n"), result)
        XCTAssertTrue(result.contains("\(account)-g:4711"), result)
        XCTAssertTrue(result.contains("\(account):/home/\(account):/bin/sh"), result)
        XCTAssertTrue(result.contains("\(account)-g"), result)
        XCTAssertTrue(result.hasSuffix(hash + "\n"), result)
    }

    func testTemplateAndUnarchive() throws {
        let dir = "/var/tmp/provision-tplmods"
        cleanup.append("rm -rf \(dir) /var/lib/provision/unarchive")
        Lab.ssh(host, "sudo -n rm -rf \(dir) && sudo -n mkdir -p \(dir)/site")
        // A template and a small archive beside the playbook, as a user's project has them.
        try FileManager.default.createDirectory(atPath: probe.directory + "/templates", withIntermediateDirectories: true)
        try "listen {{ port }}\nname {{ site | upper }}\n".write(toFile: probe.directory + "/templates/site.conf.j2", atomically: true, encoding: .utf8)
        let made = Lab.run("/bin/sh", ["-c", "cd \(probe.directory) && mkdir -p src/app && echo v1 > src/app/VERSION && tar -czf app.tar.gz -C src app"])
        XCTAssertEqual(made.status, 0, made.all)
        let state = { self.remote("cd \(dir) && find . -printf '%p %u:%g %m\\n' | sort && cat site.conf site/VERSION") }
        try probe.assertConverges(play("""
                - name: config from a template
                  template: {src: site.conf.j2, dest: \(dir)/site.conf, mode: "0640", group: www-data, validate: "grep -q listen %s"}
                  vars: {port: 8080, site: lab}
                - name: app unpacked
                  unarchive: {src: app.tar.gz, dest: \(dir)/site, strip_components: 1, owner: www-data, group: www-data}
            """), expected: ["config from a template": true, "app unpacked": true], state: state)
        let result = state()
        XCTAssertTrue(result.contains("./site.conf root:www-data 640"), result)
        XCTAssertTrue(result.contains("./site/VERSION www-data:www-data"), result)
        XCTAssertTrue(result.hasSuffix("listen 8080\nname LAB\nv1\n"), result)
        XCTAssertEqual(Lab.ssh(host, "ls /tmp | grep -c provision-unarchive || true").stdout, "0\n", "no upload left in /tmp")
    }
}
