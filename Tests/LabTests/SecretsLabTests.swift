import Foundation
import XCTest

/// Secrets never leave the places they belong (issue 9): the full WordPress playbook with
/// `-v`, `--diff` and `--json`, a password change, and check mode. Every line provision
/// prints and the process lists of the web and DB hosts, sampled during the runs, must be
/// free of the passwords and salts; on the host only wp-config.php (0640) holds them.
final class SecretsLabTests: XCTestCase {
    let host = "sec"
    var work = ""
    var secrets: String { work + "/secrets.yml" }

    override func setUpWithError() throws {
        try Lab.require()
        work = NSTemporaryDirectory() + "secrets-lab-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        Lab.lab(["destroy", host])
        let launched = Lab.lab(["launch", host, "--from", "web-2", "--trust"])
        XCTAssertEqual(launched.status, 0, launched.all)
        // A fresh WordPress on the launched host: no earlier unpack or config.
        Lab.ssh(host, "sudo rm -rf /var/lib/provision /var/www/html/wp-config.php")
    }

    override func tearDown() {
        Lab.lab(["destroy", host])
        try? FileManager.default.removeItem(atPath: work)
    }

    /// Distinct, searchable secrets; the DB password has every character class that breaks quoting.
    func writeSecrets(dbPassword: String, salt: String) throws {
        var text = "db_admin_password: \"\(Lab.dbAdminPassword)\"\ndb_password: '\(dbPassword.replacingOccurrences(of: "'", with: "''"))'\nwordpress_salts:\n"
        for name in ["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"] {
            text += "  \(name): '\(salt)-\(name)'\n"
        }
        try? FileManager.default.removeItem(atPath: secrets)
        XCTAssertTrue(FileManager.default.createFile(atPath: secrets, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
    }

    func site(_ extra: [String]) -> Lab.Output {
        Lab.provision(["-i", Lab.inventory, "-F", Lab.sshConfig, "-p", Lab.repository + "/playbooks/site.yml",
                       "-e", "secrets_file=\(secrets)", "-e", "db_host=10.0.20.10", "-e", "db_name=wp_secrets",
                       "-e", "db_user=wp_secrets", "-e", "wordpress_archive=\(Lab.wordpressArchive)"] + extra + [host])
    }

    /// Samples `ps` on the hosts while `body` runs: the listings, and how many were taken.
    /// One ssh session per host runs the sampling loop on the host itself, so the rate does
    /// not depend on how fast this machine opens ssh connections (about 50 samples a second).
    func watchingProcesses(_ body: () -> Void) -> (text: String, samples: Int) {
        let marker = "@@provision-sample@@"
        let loop = "while :; do ps -eo pid,args ww; echo \(marker); sleep 0.02; done"
        let watchers = [host, "db"].map { name -> (Process, String) in
            let file = work + "/ps-\(name)-\(UUID().uuidString.prefix(6))"
            FileManager.default.createFile(atPath: file, contents: nil)
            // Through a shell that stays the parent: ssh closes the descriptors it inherits,
            // and Foundation's Process takes the closing of its own one as the child's exit
            // and blocks its monitor thread in waitpid on the still running ssh, so no other
            // Process of the test (the provision runs) was seen to end: the test hung.
            // TERM reaches the shell, which stops ssh.
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ssh \"$@\" & p=$!; trap 'kill $p' TERM; wait $p", "sh",
                                 "-n", "-F", Lab.sshConfig, "-o", "BatchMode=yes", name, loop]
            process.standardOutput = FileHandle(forWritingAtPath: file)
            process.standardError = FileHandle.nullDevice
            try? process.run()
            return (process, file)
        }
        usleep(500_000)  // the sessions are open before the body starts
        body()
        var text = ""
        for (process, file) in watchers {
            process.terminate()
            process.waitUntilExit()
            text += (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        }
        return (text, text.components(separatedBy: marker).count - 1)
    }

    func testNoSecretInOutputProcessListsOrStrayFiles() throws {
        let first = (password: #"S3cret-1st 'q' "dq" \bs $x `t` ;--"#, salt: "salt-one-7f3a")
        let second = (password: "S3cret-2nd-ünïcödé-%s-{{ x }}", salt: "salt-two-91bc")
        try writeSecrets(dbPassword: first.password, salt: first.salt)
        var outputs: [String] = []
        let firstWatch = watchingProcesses {
            outputs.append(site(["--json", "-v", "--diff"]).all)
        }
        XCTAssertEqual(Lab.recap(outputs[0])[host]?["failed"], 0, outputs[0])
        XCTAssertGreaterThan(Lab.recap(outputs[0])[host]?["changed"] ?? 0, 0, outputs[0])

        // A new password and new salts: the user's password and wp-config.php change; the
        // diff is shown, masked.
        try writeSecrets(dbPassword: second.password, salt: second.salt)
        let secondWatch = watchingProcesses {
            outputs.append(site(["--check", "--diff", "-vv"]).all)
            outputs.append(site(["--diff", "-vv"]).all)
            outputs.append(site(["--json", "--diff", "-v"]).all)
        }
        let processes = firstWatch.text + secondWatch.text
        XCTAssertTrue(outputs[2].contains("changed: wp-config.php rendered"), outputs[2])
        XCTAssertTrue(outputs[2].contains("DB_PASSWORD"), "the diff shows which line changed:\n\(outputs[2])")
        XCTAssertTrue(outputs[2].contains("********"), outputs[2])
        XCTAssertEqual(Lab.recap(outputs[3])[host]?["changed"], 0, outputs[3])
        // Sampled on the hosts at about 50 a second: the runs last seconds, so dozens of samples.
        XCTAssertGreaterThanOrEqual(firstWatch.samples, 20, "the process lists were sampled during the first run")
        XCTAssertGreaterThanOrEqual(secondWatch.samples, 20, "the process lists were sampled during the later runs")

        let secretsSeen = [first.password, second.password, first.salt, second.salt, Lab.dbAdminPassword,
                           "S3cret-1st", "S3cret-2nd"]
        for secret in secretsSeen {
            for (i, output) in outputs.enumerated() {
                XCTAssertFalse(output.contains(secret), "run \(i) printed a secret (\(secret.prefix(4))…):\n\(output)")
            }
            XCTAssertFalse(processes.contains(secret), "a secret (\(secret.prefix(4))…) showed in a host's process list")
        }

        // On the host, only wp-config.php holds them, root-owned and readable by the web group only.
        let holders = Lab.ssh(host, "sudo grep -rlF -e salt-two-91bc -e S3cret-2nd /var/www /var/lib/provision /tmp /var/tmp /root /home /etc 2>/dev/null")
        XCTAssertEqual(holders.stdout, "/var/www/html/wp-config.php\n")
        XCTAssertEqual(Lab.ssh(host, "sudo stat -c '%U %G %a' /var/www/html/wp-config.php").stdout, "root www-data 640\n")
        // And the site works with the new password (the DB user's password changed too).
        let page = Lab.run("/usr/bin/curl", ["-sS", "-m", "20", "-o", "/dev/null", "-w", "%{http_code}",
                                              "http://\(Lab.ssh(host, "hostname -I").stdout.split(separator: " ").first ?? "")/wp-admin/install.php"])
        XCTAssertEqual(page.stdout, "200", page.all)
    }
}
