import Foundation
import XCTest
@testable import Cloud
@testable import Engine
@testable import Inventory
@testable import ProvisionCore

/// Issue 19, secrets for pull mode: Secrets Manager through the Swift client against moto,
/// boto3 setting up and cross-checking; the generated secrets made once for a fleet even
/// when many instances ask at the same moment.
final class CloudSecretsManagerTests: XCTestCase {
    nonisolated(unsafe) static var moto: MotoServer?
    nonisolated(unsafe) static var setupError: Error?
    var moto: MotoServer { Self.moto! }

    override class func setUp() {
        super.setUp()
        do { moto = try MotoServer() } catch { setupError = error }
    }

    override class func tearDown() {
        moto?.stop()
        super.tearDown()
    }

    override func setUpWithError() throws {
        if let error = Self.setupError { throw error }
    }

    func client() throws -> SecretsManagerClient {
        try SecretsManagerClient(region: "ap-northeast-1", credentials: AWSCredentials(accessKeyID: "AKIDTESTING", secretAccessKey: "testing-secret"),
                                 environment: ["AWS_ENDPOINT_URL": moto.url])
    }

    func testTheOperatorsSecretIsReadAndTheGeneratedOnesAreMadeOnce() throws {
        let name = "provision/site-\(UUID().uuidString.prefix(8))"
        _ = try moto.boto("""
            secretsmanager.create_secret(Name=data["name"], SecretString=json.dumps({"db_admin_password": "adm1n-from-the-operator"}))
            """, input: ["name": name])
        let client = try client()
        let loaded = try SecretsSource.load(client, name: name)
        XCTAssertEqual(loaded["db_admin_password"], .secret(Secret("adm1n-from-the-operator")))
        XCTAssertNil(loaded["db_password"])

        let first = try SecretsSource.generated(client, name: name, checkMode: false)
        XCTAssertTrue(first.created)
        guard case .dict(let salts)? = first.values["wordpress_salts"] else { return XCTFail("no salts: \(first.values.keys)") }
        XCTAssertEqual(salts.count, 8)
        let second = try SecretsSource.generated(client, name: name, checkMode: false)
        XCTAssertFalse(second.created)
        XCTAssertEqual(second.values, first.values, "a second run reads the same generated values")
        // boto3 sees the same secret, a JSON object of the generated names.
        let stored = try moto.boto("""
            print(secretsmanager.get_secret_value(SecretId=data["id"])["SecretString"])
            """, input: ["id": SecretsSource.generatedName(name)])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(stored.utf8)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), SecretsFile.generatedNames)
        XCTAssertEqual(.secret(Secret(object["db_password"] as? String ?? "")), first.values["db_password"])
        // Both together, operator's and generated, as a run loads them.
        XCTAssertEqual(Set(try SecretsSource.load(client, name: name).keys), SecretsFile.generatedNames.union(["db_admin_password"]))
    }

    /// Eight instances booting at once: one creates, seven read the winner's values.
    func testManyRunsAtOnceGetTheSameGeneratedSecrets() throws {
        let name = "provision/race-\(UUID().uuidString.prefix(8))"
        let client = try client()
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            results.add(Result { try SecretsSource.generated(client, name: name, checkMode: false) })
        }
        let all = try results.all.map { try $0.get() }
        XCTAssertEqual(all.filter(\.created).count, 1, "exactly one creator")
        XCTAssertEqual(Set(all.map { $0.values["db_password"].map { "\($0.jsonObject)" } ?? "" }).count, 1, "one db_password for all")
        XCTAssertTrue(all.allSatisfy { $0.values == all[0].values })
    }

    func testCheckModeCreatesNothing() throws {
        let name = "provision/check-\(UUID().uuidString.prefix(8))"
        let client = try client()
        let predicted = try SecretsSource.generated(client, name: name, checkMode: true)
        XCTAssertFalse(predicted.created)
        XCTAssertNotNil(predicted.values["db_password"])
        XCTAssertNil(try client.secretString(SecretsSource.generatedName(name)), "check mode created the secret")
    }

    func testWhereTheSourceIsNamed() throws {
        var inventory = Inventory()
        inventory.setVariables(["secrets_from": "aws-secretsmanager://eu-west-1/from-inventory"], forGroup: "all")
        XCTAssertEqual(try SecretsSource.named(extraVariables: [:], inventory: Inventory(), playbookDefaults: [:]), .file("secrets.yml"))
        XCTAssertEqual(try SecretsSource.named(extraVariables: ["secrets_file": "/s.yml"], inventory: Inventory(), playbookDefaults: [:]), .file("/s.yml"))
        XCTAssertEqual(try SecretsSource.named(extraVariables: [:], inventory: Inventory(),
                                               playbookDefaults: ["secrets_from": "aws-secretsmanager://ap-northeast-1/provision/wordpress"]),
                       .secretsManager(region: "ap-northeast-1", name: "provision/wordpress"))
        XCTAssertEqual(try SecretsSource.named(extraVariables: [:], inventory: inventory, playbookDefaults: ["secrets_from": "aws-secretsmanager://ap-northeast-1/x"]),
                       .secretsManager(region: "eu-west-1", name: "from-inventory"), "the inventory over the playbook")
        XCTAssertEqual(try SecretsSource.named(extraVariables: ["secrets_from": "aws-secretsmanager://us-east-1/cli"], inventory: inventory, playbookDefaults: [:]),
                       .secretsManager(region: "us-east-1", name: "cli"), "-e over the inventory")
        for bad in ["vault://x", "aws-secretsmanager://nowhere/x", "aws-secretsmanager://ap-northeast-1", "aws-secretsmanager://ap-northeast-1/has space"] {
            XCTAssertThrowsError(try SecretsSource.named(extraVariables: ["secrets_from": .string(bad)], inventory: Inventory(), playbookDefaults: [:]), bad)
        }
    }

    /// `provision pull` as an instance runs it: the bundle's group_vars name the secret, the
    /// instance role (here moto's credentials) reads it; a second pull gets the same
    /// generated values; no secret shows in the output.
    func testAPullReadsItsSecretsFromSecretsManager() throws {
        let name = "provision/pull-\(UUID().uuidString.prefix(8))"
        _ = try moto.boto("""
            secretsmanager.create_secret(Name=data["name"], SecretString=json.dumps({"db_admin_password": "adm1n-pull-secret"}))
            """, input: ["name": name])
        let dir = try makeTempDir([
            "project/playbooks/site.yml": """
                - hosts: web
                  tasks:
                    - name: secrets written where a test can read them
                      copy: {dest: "{{ out }}/secrets", content: "{{ db_admin_password }} {{ db_password }}\\n", mode: "0600"}
                """,
            "project/playbooks/group_vars/all.yml": "secrets_from: aws-secretsmanager://ap-northeast-1/\(name)\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let environment = moto.environment
        let bundled = TestProcess.run(TestProcess.provisionBinary, ["bundle", "-o", "site.tar", "-p", "project/playbooks/site.yml"],
                                      environment: environment, directory: dir)
        XCTAssertEqual(bundled.status, 0, bundled.stderr)
        var seen: [String] = []
        for run in 1...2 {
            let pulled = TestProcess.run(TestProcess.provisionBinary, ["pull", "site.tar", "-e", "out=\(dir)"],
                                         environment: environment, directory: dir)
            XCTAssertEqual(pulled.status, 0, "pull \(run): " + pulled.stdout + pulled.stderr)
            XCTAssertFalse((pulled.stdout + pulled.stderr).contains("adm1n-pull-secret"), "a secret in the output")
            if run == 1 { XCTAssertTrue(pulled.stderr.contains("created \(name)/generated in Secrets Manager"), pulled.stderr) }
            seen.append(try String(contentsOfFile: dir + "/secrets", encoding: .utf8))
        }
        XCTAssertTrue(seen[0].hasPrefix("adm1n-pull-secret "), seen[0])
        XCTAssertEqual(seen[0].split(separator: " ").last?.count, 33, "a 32-character generated db_password and the newline")
        XCTAssertEqual(seen[0], seen[1], "the second pull read the same generated db_password")
    }

    func testAnUnreadableSecretIsAClearError() throws {
        let name = "provision/bad-\(UUID().uuidString.prefix(8))"
        _ = try moto.boto("secretsmanager.create_secret(Name=data['name'], SecretString='not json')", input: ["name": name])
        XCTAssertThrowsError(try SecretsSource.load(try client(), name: name)) { error in
            XCTAssertTrue("\(error)".contains("must be a JSON object of names to values"), "\(error)")
        }
    }
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Result<(values: [String: Value], created: Bool), Error>] = []
    func add(_ r: Result<(values: [String: Value], created: Bool), Error>) { lock.lock(); items.append(r); lock.unlock() }
    var all: [Result<(values: [String: Value], created: Bool), Error>] { lock.lock(); defer { lock.unlock() }; return items }
}
