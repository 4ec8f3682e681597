import Foundation
import XCTest

/// A small Ansible-layout role (defaults, vars, templates, files, handlers, a dependency)
/// through the real `provision` binary on lab host web-2: `--check` predicts the first
/// run, the first run converges, the second changes nothing.
final class RoleLabTests: XCTestCase {
    let host = "web-2"
    var probe: PlaybookProbe!

    override func setUpWithError() throws {
        try Lab.require()
        probe = try PlaybookProbe(host: host)
    }

    override func tearDown() {
        Lab.ssh(host, "sudo -n rm -rf /opt/provision-role-test")
        probe?.remove()
    }

    func write(_ path: String, _ text: String) throws {
        let full = probe.directory + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    func testARoleConvergesAndItsSecondRunChangesNothing() throws {
        try write("roles/site_dir/defaults/main.yml", "site_root: /opt/provision-role-test\n")
        try write("roles/site_dir/tasks/main.yml", """
            - name: site root
              file: {path: "{{ site_root }}", state: directory, mode: "0755"}
            """)
        try write("roles/motd/meta/main.yml", "dependencies: [site_dir]\n")
        try write("roles/motd/defaults/main.yml", "motd_text: from the role's defaults\nmotd_mode: '0600'\n")
        try write("roles/motd/vars/main.yml", "motd_mode: '0644'\n")
        try write("roles/motd/templates/motd.j2", "{{ motd_text }} on {{ inventory_hostname }}\n")
        try write("roles/motd/files/banner.txt", "a file from the role\n")
        try write("roles/motd/tasks/main.yml", """
            - name: motd
              template: {src: motd.j2, dest: "{{ site_root }}/motd", mode: "{{ motd_mode }}"}
              notify: motd changed
            - name: banner
              copy: {src: banner.txt, dest: "{{ site_root }}/banner", mode: "0644"}
            """)
        try write("roles/motd/handlers/main.yml", """
            - name: motd changed
              command: touch {{ site_root }}/handler-ran
            """)
        let playbook = """
            - hosts: web
              become: true
              roles:
                - role: motd
                  motd_text: from the role entry
            """
        let state = { Lab.ssh(self.host, "sudo -n sh -c 'cd /opt/provision-role-test 2>/dev/null && stat -c \"%n %a\" * && cat motd banner'").stdout }
        let tasks = ["site_dir : site root", "motd : motd", "motd : banner"]
        let before = state()
        let predicted = try probe.run(playbook, check: true)
        XCTAssertEqual(predicted.status, 0, predicted.output)
        XCTAssertEqual(predicted.changed.filter { tasks.contains($0.key) }, Dictionary(uniqueKeysWithValues: tasks.map { ($0, true) }), predicted.output)
        XCTAssertEqual(state(), before, "check mode changed the host")

        let first = try probe.run(playbook)
        XCTAssertEqual(first.status, 0, first.output)
        XCTAssertEqual(first.changed, Dictionary(uniqueKeysWithValues: (tasks + ["motd : motd changed"]).map { ($0, true) }), first.output)

        let second = try probe.run(playbook)
        XCTAssertEqual(second.status, 0, second.output)
        XCTAssertEqual(second.changed, Dictionary(uniqueKeysWithValues: tasks.map { ($0, false) }), "second run\n" + second.output)
        let converged = try probe.run(playbook, check: true)
        XCTAssertEqual(converged.changed, Dictionary(uniqueKeysWithValues: tasks.map { ($0, false) }), converged.output)
        XCTAssertEqual(state(), """
            banner 644
            handler-ran 644
            motd 644
            from the role entry on web-2
            a file from the role

            """)
    }
}
