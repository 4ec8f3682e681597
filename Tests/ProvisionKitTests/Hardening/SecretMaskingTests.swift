import Foundation
import XCTest
@testable import ProvisionCore
@testable import Transport
@testable import Database
@testable import Cloud
@testable import Inventory
@testable import Playbook
@testable import Modules
@testable import Engine

/// Issue 17 items 5 and 6: secrets masked by name from every source, in every form the tool
/// writes them; generated secrets need no escaping.
final class SecretMaskingTests: XCTestCase {
    override func setUp() { SecretNames.shared.reset() }
    override func tearDown() { SecretNames.shared.reset() }

    func testSecretNamesTable() {
        let names = SecretNames()
        names.mark(["site_pin", "vault_*"])
        let table: [(String, Bool)] = [
            ("db_password", true), ("DB_ADMIN_PASSWORD", true), ("db_admin_passwd", true), ("wordpress_salts", true),
            ("AUTH_KEY", true), ("aws_secret_access_key", true), ("api_token", true), ("ssh_key_passphrase", true),
            ("login_password", true), ("site_pin", true), ("SITE_PIN", true), ("vault_anything", true),
            ("db_host", false), ("db_user", false), ("db_tls_ca", false), ("wordpress_title", false), ("site_marker", false),
            ("ansible_ssh_private_key_file", false), ("ssl_key_path", false), ("secrets_file", false), ("key_dir", false),
        ]
        for (name, secret) in table {
            XCTAssertEqual(names.isSecret(name), secret, name)
        }
        // Sealing: strings under a secret name become secrets, numbers stay numbers, keys of a
        // dictionary are names too.
        XCTAssertEqual(names.seal("db_password", .string("pw-1234")), .secret(Secret("pw-1234")))
        XCTAssertEqual(names.seal("db_port", .string("3306")), .string("3306"))
        XCTAssertEqual(names.seal("site", .dict(["api_key": "k-1234", "title": "t"])),
                       .dict(["api_key": .secret(Secret("k-1234")), "title": "t"]))
        XCTAssertEqual(names.seal("key_count", .int(3)), .int(3))
        XCTAssertEqual(SecretNames.markedNames(in: ["secret_names": .list(["a", "b"])]), ["a", "b"])
        XCTAssertEqual(SecretNames.markedNames(in: ["secret_names": "a, b"]).map { $0.trimmingCharacters(in: .whitespaces) }, ["a", "b"])
        let env = names.environmentSecrets(["PROVISION_DB_PASSWORD": "env-pw-1", "AWS_SECRET_ACCESS_KEY": "aws-s-1",
                                            "AWS_SESSION_TOKEN": "tok-1", "HOME": "/root", "GPG_KEY": "not-ours"])
        XCTAssertEqual(Set(env.map { $0.reveal() }), ["env-pw-1", "aws-s-1", "tok-1"])
    }

    /// Each encoder the tool writes text with, applied to a hostile secret inside a message:
    /// after redaction neither the secret nor its encoded form is there, and decoding the
    /// output (where it can be decoded) does not give the secret back.
    func testEveryEncodedFormIsMasked() throws {
        let secrets = ["a/b\\c'd\"e", "p/w+sl/ash", "new\nline\ttab", "<html>&'x'", "it's $(id) `x`", "ünï/cødé", "semi;colon\u{1A}"]
        let encoders: [(String, (String) -> String)] = [
            ("raw", { $0 }),
            ("JSONSerialization (--json)", { s in String(decoding: try! JSONSerialization.data(withJSONObject: ["message": "pw=" + s]), as: UTF8.self) }),
            ("Value.jsonText (debug var=dict)", { s in Value.dict(["k": .string(s)]).jsonText }),
            ("to_json filter", { s in Evaluator.json(.dict(["k": .string(s)]), pretty: true) }),
            ("php_string", { s in Evaluator.phpString(s) }),
            ("html escape", { s in Evaluator.htmlEscape(s) }),
            ("shell quote", { s in "echo " + Shell.quote(s) }),
            ("SQL literal", { s in "IDENTIFIED BY '" + MySQLClient.escapeForDisplay(s) + "'" }),
            ("secrets file YAML", { s in "db_password: " + SecretsFile.yamlQuoted(s) }),
        ]
        for secret in secrets {
            let redactor = Redactor()
            redactor.register(Secret(secret))
            for (name, encode) in encoders {
                let text = "before " + encode(secret) + " after"
                let masked = redactor.redact(text)
                XCTAssertFalse(masked.contains(secret), "\(name): \(secret.debugDescription) visible in \(masked)")
                let encodedAlone = encode(secret)
                XCTAssertFalse(masked.contains(encodedAlone), "\(name): encoded \(secret.debugDescription) visible in \(masked)")
                XCTAssertTrue(masked.contains("********"), "\(name): nothing masked in \(masked)")
                if name.hasPrefix("JSONSerialization") || name.hasPrefix("Value.jsonText") || name.hasPrefix("to_json") {
                    let body = String(masked.dropFirst("before ".count).dropLast(" after".count))
                    let decoded = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String]
                    XCTAssertNotNil(decoded, "\(name): masking broke the JSON: \(body)")
                    XCTAssertFalse(decoded?.values.contains { $0.contains(secret) } ?? true, "\(name): decodes back to the secret")
                }
            }
        }
    }

    /// Generated secrets are made of characters no encoder of the tool changes.
    func testGeneratedSecretsNeedNoEscaping() throws {
        let values = SecretsFile.generatedValues(for: SecretsFile.generatedNames)
        var samples = (0..<200).map { _ in SecretsFile.generate(length: 64) }
        samples.append(values["db_password"]!.text)
        samples.append(values["wordpress_admin_password"]!.text)
        XCTAssertEqual(values["wordpress_admin_password"]!.text.count, 24)
        samples += values["wordpress_salts"]!.dictValue!.values.map(\.text)
        XCTAssertEqual(values["db_password"]!.text.count, 32)
        XCTAssertEqual(values["wordpress_salts"]!.dictValue!.count, 8)
        for s in samples {
            XCTAssertEqual(SecretForms.of(s), [s], "\(s) needs escaping somewhere: \(SecretForms.of(s))")
            XCTAssertEqual(Shell.quote(s), s)
            XCTAssertFalse(s.hasPrefix("-"))
        }
        // 200 × 64 draws over 62 symbols: every one of them shows up (the alphabet is not smaller).
        XCTAssertEqual(Set(samples.joined()).count, 62)
    }

    /// Through the real engine on this machine: a secret by name from -e, the inventory,
    /// play vars and a user-marked name is masked in failure messages, debug output, and
    /// the diff; a dictionary of salts printed as JSON (`\/`) too.
    func testSecretsByNameFromEverySourceAreMaskedInReports() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        SecretNames.shared.mark(["site_pin"])
        var options = RunOptions()
        options.diffMode = true
        options.extraVariables = ["db_password": .string("extra-pw/1234")]
        let dest = local.directory + "/conf.php"
        let (reporter, _) = try local.run("""
            - hosts: machines
              vars:
                api_token: play-tok/5678
                site_pin: pin-90/12
                wordpress_salts: {AUTH_KEY: "salt/with/slashes"}
              tasks:
                - name: debug the salts
                  debug: var=wordpress_salts
                - name: debug everything
                  debug:
                    msg: "{{ db_password }} {{ db_admin_password }} {{ api_token }} {{ site_pin }}"
                - name: write a file
                  copy:
                    dest: \(dest)
                    content: "define('DB_PASSWORD', {{ db_password | php_string }}); $k = {{ db_admin_password | php_string }};\\n"
                - name: leaks on purpose
                  shell: echo "x={{ db_password }} y={{ db_admin_password }} z={{ api_token }} w={{ site_pin }}" >&2; exit 1
            """, options: options, hostVariables: ["db_admin_password": .string("inv'pw/3456")])
        let tasks = reporter.tasks
        XCTAssertEqual(tasks.count, 4, "\(tasks.map(\.task))")
        let text = tasks.map { [$0.task, $0.message ?? "", $0.diff?.before ?? "", $0.diff?.after ?? ""].joined(separator: "|") }.joined(separator: "\n")
        for secret in ["extra-pw/1234", "inv'pw/3456", "inv\\'pw/3456", "inv\\'pw\\/3456", "play-tok/5678", "pin-90/12", "salt/with/slashes", "salt\\/with\\/slashes"] {
            XCTAssertFalse(text.contains(secret), "\(secret) visible:\n\(text)")
        }
        XCTAssertTrue(tasks.first { $0.task == "write a file" }?.diff?.after?.contains("define('DB_PASSWORD', '********')") ?? false, text)
        XCTAssertTrue(tasks.first { $0.task == "leaks on purpose" }?.message?.contains("x=******** y=******** z=******** w=********") ?? false, text)
        // The file itself has the real values.
        XCTAssertEqual(try String(contentsOfFile: dest, encoding: .utf8), "define('DB_PASSWORD', 'extra-pw/1234'); $k = 'inv\\'pw/3456';\n")
    }
}

/// The same through the binary: error messages on stderr, from -e, the inventory, the
/// environment and a user-marked name, in text and with --json.
final class SecretMaskingCLITests: XCTestCase {
    func testErrorMessagesMaskSecretsFromEverySource() throws {
        let dir = try makeTempDir([
            "inventory.yml": """
                all:
                  vars: {secret_names: [site_pin]}
                  hosts:
                    web-1: {ansible_host: web-1.provision-test.invalid, site_key: "inv-key/9999", site_pin: "pin-4242"}
                """,
            "p.yml": """
                - hosts: all
                  tasks:
                    - name: bad
                      mysql_db: {name: "{{ db_password }}-{{ site_key }}-{{ db_admin_password }}-{{ site_pin }}"}
                """,
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for extra in [[], ["--json"], ["-v"]] {
            let run = TestProcess.run(TestProcess.provisionBinary, ["-p", "p.yml", "-e", "db_password=cli-pw/5678", "web-1"] + extra,
                                      environment: ["PROVISION_DB_ADMIN_PASSWORD": "env-pw/1111"], directory: dir)
            XCTAssertEqual(run.status, 1, run.stderr)
            let all = run.stdout + run.stderr
            XCTAssertTrue(all.contains("database name '********-********-********-********' is refused"), all)
            for secret in ["cli-pw", "inv-key", "env-pw", "pin-4242", "5678", "9999", "1111"] {
                XCTAssertFalse(all.contains(secret), "\(secret) visible with \(extra): \(all)")
            }
        }
    }
}

/// The redactor sorts its secrets when one is registered, and still masks a secret that
/// contains another whole, whichever was registered first.
final class RedactorOrderTests: XCTestCase {
    func testLongestFirstWhateverTheRegistrationOrder() {
        for order in [["abcd", "abcdefgh"], ["abcdefgh", "abcd"]] {
            let redactor = Redactor()
            for s in order { redactor.register(Secret(s)) }
            XCTAssertEqual(redactor.redact("x abcdefgh y abcd z"), "x ******** y ******** z")
        }
    }
}
