import Foundation
import XCTest

/// The `provision` binary as scripts use it: exit codes and messages, with no host needed.
final class CommandLineTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "cli-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // A name that never resolves: a run that tried to connect would exit 4, not 1.
        try """
            all:
              hosts:
                web-1: {ansible_host: web-1.provision-test.invalid}
            """.write(toFile: dir + "/inventory.yml", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    func provision(_ arguments: [String]) throws -> Output {
        // The test bundle sits in the build products directory, beside the executable.
        var products = Bundle(for: CommandLineTests.self).bundleURL
        if products.pathExtension == "xctest" { products.deleteLastPathComponent() }
        let binary = products.appendingPathComponent("provision")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
                      stderr: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
    }

    func testABadPlaybookFailsWithFileAndLineBeforeConnecting() throws {
        try write("bad.yml", """
            - hosts: all
              tasks:
                - name: typo
                  shel:
                    cmd: "true"
            """)
        let run = try provision(["-p", "bad.yml", "web-1"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "error: bad.yml:4: unknown module or keyword 'shel' (did you mean 'shell'?)\n")
        let validate = try provision(["validate", "bad.yml"])
        XCTAssertEqual(validate.status, 1)
        XCTAssertTrue(validate.stderr.contains("bad.yml:4"), validate.stderr)
    }

    func testUnknownTargetIsAUsageError() throws {
        try write("ok.yml", "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n")
        let run = try provision(["-p", "ok.yml", "web-2"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "error: unknown host or group 'web-2' (did you mean 'web-1'?)\n")
    }

    func testBadExtraVarsIsAUsageError() throws {
        try write("ok.yml", "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n")
        let run = try provision(["-p", "ok.yml", "-e", "novalue", "web-1"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.hasPrefix("error: -e"), run.stderr)
    }

    func testUnreachableHostExitsFour() throws {
        try write("ok.yml", "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n")
        let run = try provision(["-p", "ok.yml", "--json", "web-1"])
        XCTAssertEqual(run.status, 4, run.stdout + run.stderr)
        let lines = run.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        XCTAssertEqual(lines.last?["event"] as? String, "recap")
        XCTAssertEqual(lines.last?["exit_code"] as? Int, 4)
        XCTAssertTrue(lines.contains { $0["status"] as? String == "unreachable" })
    }

    func testSecretsInitCreatesAPrivateFileAndNeverRegenerates() throws {
        let first = try provision(["secrets", "init", "--file", "s/secrets.yml"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let path = dir + "/s/secrets.yml"
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual(attributes[.posixPermissions] as? Int, 0o600)
        let before = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(before.components(separatedBy: "_KEY:").count + before.components(separatedBy: "_SALT:").count - 2, 8)
        XCTAssertFalse(first.stdout.contains(before.split(separator: "\"")[1]), "a generated secret was printed")
        let second = try provision(["secrets", "init", "--file", "s/secrets.yml"])
        XCTAssertEqual(second.status, 0)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), before)
    }

    func testASecretsFileOthersCanReadIsRefused() throws {
        try write("ok.yml", "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n")
        try write("secrets.yml", "db_password: x\n")
        chmod(dir + "/secrets.yml", 0o644)
        let run = try provision(["-p", "ok.yml", "web-1"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "error: secrets file secrets.yml is readable by others (mode 644) (run: chmod 600 secrets.yml)\n")
    }

    // MARK: relative playbook paths (issue 18, defects found on the way)

    func testAPlaybookGivenAsDotSlashPathWithATemplateValidatesAndRuns() throws {
        try write("p.yml", "- hosts: all\n  tasks:\n    - template: src=t.j2 dest=/tmp/x\n")
        try write("t.j2", "{{ inventory_hostname }}\n")
        let validate = try provision(["validate", "./p.yml"])
        XCTAssertEqual(validate.status, 0, validate.stderr)   // was 132: SIGILL in the template lookup
        let run = try provision(["-p", "./p.yml", "web-1"])
        XCTAssertEqual(run.status, 4, run.stderr)             // got as far as connecting
        try write("p.yml", "- hosts: all\n  tasks:\n    - template: src=missing.j2 dest=/tmp/x\n")
        let missing = try provision(["validate", "./p.yml"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("error: ./p.yml:3: template: file 'missing.j2' not found (looked in \(realDir)/templates/missing.j2, \(realDir)/missing.j2, "), missing.stderr)
    }

    func testAPlaybookWithoutADirectoryPartReadsItsVarsFiles() throws {
        try write("q.yml", """
            - hosts: all
              gather_facts: false
              vars_files: [v.yml]
              tasks:
                - debug: msg="{{ item }}"
                  loop: "{{ greetings }}"
            """)
        try write("v.yml", "greetings: [hello]\n")
        XCTAssertEqual(try provision(["validate", "q.yml"]).status, 0)
        let run = try provision(["-p", "q.yml", "web-1"])
        XCTAssertEqual(run.status, 4, run.stderr)   // was 1: "file not found: '/v.yml'"
        try write("v.yml", "greetings: hello\n")
        let wrong = try provision(["-p", "q.yml", "web-1"])
        XCTAssertEqual(wrong.stderr, "error: q.yml:6: loop must be a list, not a string (give a YAML list, or a variable that holds one)\n")
    }

    /// The directory the tests write in, as the loader names it (symbolic links resolved by
    /// the standardizing it does, if any).
    var realDir: String { URL(fileURLWithPath: dir).standardizedFileURL.path }

    // MARK: validate checks what the run checks

    func testValidateRefusesWhatTheRunRefuses() throws {
        try write("m.yml", """
            - hosts: all
              gather_facts: false
              vars: {account: ''}
              tasks:
                - mysql_user: {name: "{{ account }}", password: x}
            """)
        let validate = try provision(["validate", "m.yml"])
        let run = try provision(["-p", "m.yml", "web-1"])
        XCTAssertEqual(validate.status, 1, validate.stdout)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(validate.stderr, "error: m.yml:5: mysql_user: parameter 'name' is required\n")
        XCTAssertEqual(validate.stderr, run.stderr)
    }

    func testValidateNeverSuggestsTheWordPressSecretsToOtherPlaybooks() throws {
        try write("t.yml", """
            - hosts: all
              tasks:
                - debug: msg="{{ db_pasword }}"
                - debug: msg="{{ wordpress_salt }}"
            """)
        let validate = try provision(["validate", "t.yml"])
        XCTAssertEqual(validate.status, 1)
        XCTAssertTrue(validate.stderr.hasPrefix("error: t.yml:3: undefined variable 'db_pasword' (define it"), validate.stderr)
        XCTAssertFalse(validate.stderr.contains("db_password"), validate.stderr)
        XCTAssertFalse(validate.stderr.contains("wordpress_salts"), validate.stderr)
        // A playbook that does read a secret by its name still validates: a run provides it.
        try write("t.yml", "- hosts: all\n  tasks:\n    - debug: msg=\"{{ db_password }}\"\n")
        XCTAssertEqual(try provision(["validate", "t.yml"]).status, 0)
    }

    // MARK: one answer, one line

    func testSetFactIsOneModuleWhateverItsSpellingAndDefinesItsVariables() throws {
        for spelling in ["set_fact", "ansible.builtin.set_fact"] {
            try write("s.yml", "- hosts: all\n  tasks:\n    - \(spelling): a=1\n    - debug: msg={{ a }}\n    - debug: msg={{ b }}\n")
            let validate = try provision(["validate", "s.yml"])
            XCTAssertEqual(validate.status, 1, spelling)
            XCTAssertTrue(validate.stderr.contains("s.yml:5: undefined variable 'b'"), "\(spelling): \(validate.stderr)")
            XCTAssertFalse(validate.stderr.contains("undefined variable 'a'"), "set_fact defines a: \(validate.stderr)")
        }
    }

    func testAMultiLineWhenGivesAOneLineError() throws {
        try write("w.yml", "- hosts: all\n  tasks:\n    - debug: msg=hi\n      when: |\n        foo ==\n          (bar\n")
        let validate = try provision(["validate", "w.yml"])
        XCTAssertEqual(validate.status, 1)
        XCTAssertEqual(validate.stderr.split(separator: "\n").count, 1, validate.stderr)
        XCTAssertTrue(validate.stderr.contains("syntax error in condition 'foo == (bar'"), validate.stderr)
    }

    // MARK: Ansible Vault

    /// A vaulted vars file (made by ansible-vault) opens with --vault-password-file, or
    /// ANSIBLE_VAULT_PASSWORD_FILE; what it holds is masked in the output; without a password
    /// the error names the file and says what to give.
    func testVaultedVarsOpenWithAPasswordFileAndStayMasked() throws {
        try write("vault.yml", AnsibleVaultTests.vaultedFile + "\n")
        try write("pw", "correct horse battery\n")
        try write("v.yml", """
            - hosts: all
              connection: local
              gather_facts: false
              vars_files: [vault.yml]
              tasks:
                - debug: msg="the password is {{ db_admin_password }} for {{ site_title }}"
            """)
        let locked = try provision(["validate", "v.yml"])
        XCTAssertEqual(locked.status, 1)
        XCTAssertTrue(locked.stderr.hasPrefix("error: \(realDir)/vault.yml:1: cannot read this: it is vaulted (Ansible Vault) and no vault password was given"), locked.stderr)
        XCTAssertTrue(locked.stderr.contains("--vault-password-file"), locked.stderr)
        XCTAssertEqual(try provision(["validate", "--vault-password-file", "pw", "v.yml"]).status, 0)
        let run = try provision(["-p", "v.yml", "--vault-password-file", "pw", "--json", "web-1"])
        XCTAssertEqual(run.status, 0, run.stderr)
        // (A message made from a secret is masked whole, as the secrets file's are.)
        XCTAssertTrue(run.stdout.contains(#""message":"********""#), run.stdout)
        XCTAssertTrue(run.stdout.contains(#""action":"debug""#), "JSON names the task's module: \(run.stdout)")
        XCTAssertFalse(run.stdout.contains("s3cr3t-Adm1n") || run.stdout.contains("Vaulted Site"), run.stdout)
        let wrong = try provision(["validate", "--vault-password-file", "vault.yml", "v.yml"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderr.contains("no vault password given opens it"), wrong.stderr)
        XCTAssertTrue(try provision(["validate", "--ask-vault-pass", "v.yml"]).stderr.contains("--ask-vault-pass is not supported"))
    }

    // MARK: ansible-playbook's command line

    /// `provision -i inventory.yml site.yml -l web-1 …` with ansible-playbook's short flags:
    /// the playbook as a target, the listings without contacting a host, -K refused.
    func testAnsiblePlaybooksCommandLine() throws {
        try write("site.yml", """
            - name: web servers
              hosts: all
              tasks:
                - name: packages
                  command: "true"
                  tags: [packages]
                - name: config
                  command: "true"
            """)
        let listed = try provision(["-i", "inventory.yml", "site.yml", "-l", "web-1", "--list-hosts", "--list-tasks", "-t", "packages"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertEqual(listed.stdout, "\nplaybook: site.yml\n\n  play #1 (all): web servers\tTAGS: []\n    pattern: ['all']\n    hosts (1):\n      web-1\n    tasks:\n      packages\tTAGS: [packages]\n")
        XCTAssertEqual(try provision(["--syntax-check", "site.yml"]).stdout, "\nplaybook: site.yml\n")
        // Every flag parsed; the run then tries the host, which never resolves: exit 4.
        let run = try provision(["-i", "inventory.yml", "-C", "-D", "-b", "-f", "2", "-u", "deploy", "-T", "5", "--private-key", "k",
                                 "--become-user", "root", "--start-at-task", "config", "site.yml", "-l", "web-1"])
        XCTAssertEqual(run.status, 4, run.stderr)
        let prompt = try provision(["-K", "site.yml"])
        XCTAssertEqual(prompt.status, 1)
        XCTAssertTrue(prompt.stderr.contains("-K/--ask-become-pass is not supported"), prompt.stderr)
        let other = try provision(["--become-user", "www-data", "site.yml"])
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.stderr.contains("only root is supported yet"), other.stderr)
    }

    /// Foundation traps on a one-character path's directory: a templated include whose whole
    /// name is a template (`{{ lookup('first_found', files) }}` reads as `*`), an inventory
    /// or playbook named with one letter. Each is an answer, never a crash.
    func testOneCharacterPathsDoNotCrash() throws {
        try FileManager.default.createDirectory(atPath: dir + "/tasks", withIntermediateDirectories: true)
        try write("tasks/default.yml", "- debug: msg=hello\n")
        try write("i.yml", """
            - hosts: all
              tasks:
                - include_tasks: "{{ lookup('first_found', files) }}"
                  vars:
                    files: [default.yml]
            """)
        let validate = try provision(["validate", "i.yml"])
        XCTAssertNotEqual(validate.status, 132, "SIGILL: \(validate.stderr)")
        XCTAssertTrue([0, 1].contains(validate.status), validate.stderr)
        try write("h", "all:\n  hosts:\n    web-1: {ansible_host: web-1.provision-test.invalid}\n")
        try write("p", "- hosts: all\n  tasks: []\n")
        let run = try provision(["-i", "h", "-p", "p", "web-1"])
        XCTAssertNotEqual(run.status, 132, "SIGILL: \(run.stderr)")
    }
}
