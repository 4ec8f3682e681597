import Foundation
import XCTest

/// A play's `remote_user` on a lab host, called as users do (ssh_config, no inventory): the
/// play logs in as that user (over ssh_config's `User`), becomes root through its sudo, and
/// the next play without one logs in as ssh_config says.
final class RemoteUserLabTests: XCTestCase {
    var dir = ""
    let user = "provdeploy"

    override func setUpWithError() throws {
        try Lab.require()
        dir = NSTemporaryDirectory() + "provision-remoteuser-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let made = Lab.ssh("web-1", """
            sudo -n sh -c 'id -u \(user) >/dev/null 2>&1 || useradd -m -s /bin/sh \(user); usermod -p "*" \(user); \
            install -d -m 700 -o \(user) -g \(user) /home/\(user)/.ssh; \
            cp ~ec2-user/.ssh/authorized_keys /home/\(user)/.ssh/; chown \(user): /home/\(user)/.ssh/authorized_keys; \
            echo "\(user) ALL=(ALL) NOPASSWD: ALL" > /etc/sudoers.d/\(user); chmod 440 /etc/sudoers.d/\(user)'
            """)
        XCTAssertEqual(made.status, 0, made.all)
        // (`usermod -p '*'`: no password, not locked; sshd refuses key logins to a locked account.)
    }

    override func tearDown() {
        Lab.ssh("web-1", "sudo -n sh -c 'rm -f /etc/sudoers.d/\(user); userdel -r \(user)' 2>/dev/null; true")
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testAPlaysRemoteUserLogsInAsThatUser() throws {
        let playbook = dir + "/users.yml"
        try """
            - hosts: web-1
              remote_user: \(user)
              tasks:
                - name: as the remote user
                  command: id -un
                  register: plain
                - name: become root through its sudo
                  command: id -un
                  become: true
                  register: root
                - name: both
                  debug: {msg: "plain={{ plain.stdout }} root={{ root.stdout }} fact={{ ansible_user_id }}"}
            - hosts: web-1
              tasks:
                - name: the next play
                  command: id -un
                  register: next
                - name: next
                  debug: {msg: "next={{ next.stdout }} fact={{ ansible_user_id }}"}
            """.write(toFile: playbook, atomically: true, encoding: .utf8)
        for transport in ["libssh2", "openssh"] {
            let run = Lab.provision(["-F", Lab.sshConfig, "--transport", transport, "-p", playbook, "--json", "web-1"], directory: dir)
            XCTAssertEqual(run.status, 0, "[\(transport)] " + run.all)
            let messages = Lab.jsonLines(run.stdout).compactMap { $0["message"] as? String }
            XCTAssertTrue(messages.contains("plain=\(user) root=root fact=\(user)"), "[\(transport)] \(messages)")
            XCTAssertTrue(messages.contains("next=ec2-user fact=ec2-user"), "[\(transport)] the facts of the play's own login user: \(messages)")
        }
    }
}
