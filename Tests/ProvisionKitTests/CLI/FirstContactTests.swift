import Foundation
import XCTest

/// The first run of a new user, through the binary, with no host that answers: secrets made
/// on first use, undefined variables caught per host before any connection, hosts known only
/// from an ssh config, and the built-in playbook found from elsewhere.
extension CommandLineTests {
    var saltsTemplate: String {
        """
        define('DB_PASSWORD', {{ db_password | php_string }});
        define('AUTH_KEY', {{ wordpress_salts.AUTH_KEY | php_string }});
        """
    }

    func writeTemplatePlaybook(template: String) throws {
        try FileManager.default.createDirectory(atPath: dir + "/templates", withIntermediateDirectories: true)
        try write("templates/t.j2", template)
        try write("p.yml", "- hosts: all\n  tasks:\n    - template: {src: t.j2, dest: /tmp/t.php}\n")
    }

    func testFirstRunCreatesThePrivateSecretsFileAndLaterRunsReuseIt() throws {
        try writeTemplatePlaybook(template: saltsTemplate)
        let check = try provision(["-p", "p.yml", "--check", "web-1"])
        XCTAssertEqual(check.status, 4, "the secrets exist for the run, so it goes on to connect: \(check.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/secrets.yml"), "check mode writes no secrets file")
        XCTAssertTrue(check.stderr.contains("check mode: secrets.yml would get generated db_password, wordpress_salts"), check.stderr)

        let first = try provision(["-p", "p.yml", "web-1"])
        XCTAssertEqual(first.status, 4, first.stderr)
        XCTAssertTrue(first.stderr.contains("created secrets.yml (mode 0600) with generated db_password, wordpress_salts"), first.stderr)
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/secrets.yml")
        XCTAssertEqual(attributes[.posixPermissions] as? Int, 0o600)
        let text = try String(contentsOfFile: dir + "/secrets.yml", encoding: .utf8)
        XCTAssertTrue(text.contains("db_password: \"") && text.contains("  NONCE_SALT: \""), text)
        for secret in text.split(separator: "\"").enumerated().filter({ $0.offset % 2 == 1 }).map(\.element) {
            XCTAssertFalse(first.stdout.contains(secret) || first.stderr.contains(secret), "a generated secret was printed")
        }

        let second = try provision(["-p", "p.yml", "web-1"])
        XCTAssertEqual(second.status, 4)
        XCTAssertFalse(second.stderr.contains("generated"), second.stderr)
        XCTAssertEqual(try String(contentsOfFile: dir + "/secrets.yml", encoding: .utf8), text, "never regenerated")
    }

    func testAPlaybookThatReadsNoGeneratedSecretMakesNoFile() throws {
        try writeTemplatePlaybook(template: "plain\n")
        _ = try provision(["-p", "p.yml", "web-1"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/secrets.yml"))
    }

    func testAnUndefinedVariableInATemplateStopsBeforeConnectingWithFileAndLine() throws {
        try writeTemplatePlaybook(template: "<?php\n// line 2\n$x = {{ site_titel | php_string }};\n")
        let run = try provision(["-p", "p.yml", "web-1"])
        XCTAssertEqual(run.status, 1, "exit 1, not 4: no connection was tried\n\(run.stderr)")
        XCTAssertTrue(run.stderr.contains("templates/t.j2:3: undefined variable 'site_titel'"), run.stderr)
        XCTAssertTrue(run.stderr.contains("-e site_titel="), "says what to do: \(run.stderr)")
    }

    func testAVariableOnlySomeHostsDefineNamesTheOthers() throws {
        try write("inventory.yml", """
            all:
              hosts:
                web-1: {ansible_host: web-1.provision-test.invalid, marker: one}
                web-2: {ansible_host: web-2.provision-test.invalid}
                web-3: {ansible_host: web-3.provision-test.invalid}
            """)
        try write("p.yml", "- hosts: all\n  tasks:\n    - debug: {msg: \"{{ marker }}\"}\n")
        let run = try provision(["-p", "p.yml", "all"])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("p.yml:3: undefined variable 'marker' on hosts web-2, web-3"), run.stderr)
    }

    func testHostsFromAnSSHConfigOnlyJoinWebAndShowTheirPlays() throws {
        try FileManager.default.removeItem(atPath: dir + "/inventory.yml")
        try write("ssh_config", "Host web-1a web-1c\n  HostName 192.0.2.10\n  User ec2-user\n")
        let run = try provision(["hosts", "-F", "ssh_config", "web-1a", "web-1c"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, run.stdout)
        XCTAssertTrue(lines[0].hasPrefix("web-1a\tec2-user@192.0.2.10:22\tweb\t(command line)\tplays: WordPress database, WordPress web servers"), run.stdout)
        XCTAssertTrue(lines[1].hasPrefix("web-1c\t"), run.stdout)
        XCTAssertTrue(lines[2].hasPrefix("# plays from /") && lines[2].hasSuffix("/playbooks/site.yml"), "the built-in playbook, found from another directory: \(run.stdout)")
        let unknown = try provision(["hosts", "-F", "ssh_config", "web-1x"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("unknown host or group 'web-1x' (a host must be in the inventory"), unknown.stderr)
    }

    func testVersionNamesTheDefaultPlaybook() throws {
        let run = try provision(["--version"])
        XCTAssertEqual(run.status, 0)
        XCTAssertTrue(run.stdout.hasPrefix("provision "), run.stdout)
        XCTAssertTrue(run.stdout.contains("default playbook: /") && run.stdout.contains("/playbooks/site.yml"), run.stdout)
    }
}
