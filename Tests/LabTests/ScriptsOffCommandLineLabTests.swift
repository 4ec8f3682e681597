import Foundation
import XCTest

@testable import ProvisionCore
@testable import Transport

/// Issue 17 item 3, on a lab host and through both transports: scripts reach the shell on
/// stdin, so a `shell:` task that embeds a password shows neither the password nor its
/// script in `ps` on the host (read by a second connection while the task sleeps), as root
/// or not; and a file with a hostile path is written exactly there.
final class ScriptsOffCommandLineLabTests: XCTestCase {
    var work = ""

    override func setUpWithError() throws {
        try Lab.require()
        work = NSTemporaryDirectory() + "stdin-lab-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: work) }

    /// `ps -eo args` on web-1 through plain ssh, polled until `marker` exists there (the task
    /// is then sleeping), or empty after 20 s.
    func processListWhile(_ marker: String) -> String {
        for _ in 0..<100 {
            let r = Lab.ssh("web-1", "if [ -e \(Shell.quote(marker)) ]; then ps -eo args ww; fi")
            if !r.stdout.isEmpty { return r.stdout }
            usleep(200_000)
        }
        return ""
    }

    func testAShellTaskWithASecretShowsNothingInPs() throws {
        for transport in ["libssh2", "openssh"] {
            for become in [false, true] {
                let secret = "pw-\(UUID().uuidString.prefix(12))"
                let marker = "/tmp/stdin-lab-\(UUID().uuidString.prefix(8))"
                let playbook = work + "/play-\(transport)-\(become).yml"
                try """
                - hosts: all
                  gather_facts: false
                  become: \(become)
                  tasks:
                    - name: a command with a password that sleeps
                      shell: |
                        LAB_PASSWORD='{{ lab_password }}'
                        touch \(marker)
                        sleep 4
                        test -n "$LAB_PASSWORD" && rm -f \(marker)
                """.write(toFile: playbook, atomically: true, encoding: .utf8)
                let run = DispatchGroup()
                let output = OutputBox()
                run.enter()
                DispatchQueue.global().async {
                    output.value = Lab.provision(["run", "-i", Lab.inventory, "-F", Lab.sshConfig, "--transport", transport,
                                                  "-p", playbook, "-e", "lab_password=\(secret)", "web-1"])
                    run.leave()
                }
                let listing = processListWhile(marker)
                run.wait()
                let label = "\(transport), become: \(become)"
                XCTAssertEqual(output.value?.status, 0, "\(label): \(output.value?.all ?? "")")
                XCTAssertTrue(listing.contains("sleep 4"), "\(label): the list was read while the task ran:\n\(listing)")
                XCTAssertFalse(listing.contains(secret), "\(label): the password showed in ps:\n\(listing)")
                XCTAssertFalse(listing.contains("LAB_PASSWORD"), "\(label): the script showed in ps:\n\(listing)")
                XCTAssertTrue(listing.contains("provision_l"), "\(label): the bootstrap is what runs:\n\(listing)")
                XCTAssertEqual(Lab.ssh("web-1", "test -e \(marker) && echo left").stdout, "", "\(label): the task ran to its end")
            }
        }
    }

    /// A file whose directory and name hold spaces, quotes, a newline, a leading `-`, `$()`
    /// and `=`, put through each transport, as root and not: its content lands at exactly
    /// that path, with its mode, and nothing else appears in the directory.
    func testAFileWithAHostilePathIsWrittenThere() throws {
        let base = "/tmp/stdin-lab-\(UUID().uuidString.prefix(8))"
        let dir = base + "/d i r 'q' \"dq\"\n-x $(touch pwned) a=b"
        let name = "-f i l e 'q'\n$(id) x=y;`id`"
        XCTAssertEqual(Lab.ssh("web-1", "mkdir -p -- \(Shell.quote(dir))").status, 0)
        defer { Lab.ssh("web-1", "sudo rm -rf -- \(Shell.quote(base))") }
        for preference in [TransportPreference.libssh2, .openssh] {
            for become in [false, true] {
                let connection = try Transport.connect(TransportLab.endpoint(), preference: preference)
                defer { connection.close() }
                let content = Data("content through \(preference.rawValue), become \(become) 'q' $(id)\n".utf8) + Data([0, 255])
                let path = dir + "/" + name
                try connection.put(content, to: path, attributes: FileAttributes(mode: 0o640), become: become)
                let label = "\(preference.rawValue), become: \(become)"
                let q = Shell.quote(path)
                let read = Lab.ssh("web-1", "sudo cat -- \(q) | base64 -w0; echo; sudo stat -c '%a %U' -- \(q); find \(Shell.quote(dir)) -mindepth 1 -maxdepth 1 -printf x | wc -c; find ~ /tmp \(Shell.quote(base)) -maxdepth 2 -name pwned 2>/dev/null | wc -l")
                let lines = read.stdout.split(separator: "\n").map(String.init)
                XCTAssertEqual(lines, [content.base64EncodedString(), "640 \(become ? "root" : "ec2-user")", "1", "0"], "\(label): \(read.all)")
                XCTAssertEqual(Lab.ssh("web-1", "sudo rm -f -- \(Shell.quote(path))").status, 0)
            }
        }
    }
}

private final class OutputBox: @unchecked Sendable { var value: Lab.Output? }
