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

/// Issue 17 item 7: EC2 tag values are data. Whoever can tag an instance must not be able to
/// make the tool expand `{{ db_admin_password }}` (or any template) into host variables.
final class CloudTagsAreDataTests: XCTestCase {
    let hostile = "{{ db_admin_password }}"

    func inventory() throws -> Inventory {
        let source = try EC2InventorySource(region: "ap-northeast-1", filters: [])
        let instance = EC2Instance(id: "i-0123", state: "running", privateIP: "10.0.10.10", publicIP: nil,
                                   availabilityZone: "ap-northeast-1a", vpcID: nil, subnetID: nil, instanceType: "t3.micro",
                                   tags: ["Name": "web-a", "Role": hostile, "Note": "{% for x in [1] %}loop{% endfor %}"])
        return source.inventory(from: [instance])
    }

    func testTagValuesAreNotRenderedInTheScope() throws {
        let inventory = try inventory()
        let host = try XCTUnwrap(inventory.hosts.first?.name)
        XCTAssertTrue(inventory.dataNames(for: host).contains("ec2_tags"))
        var layers = HostVariableLayers()
        layers.inventory = inventory.variables(for: host)
        layers.inventoryData = inventory.dataNames(for: host)
        layers.secrets = ["db_admin_password": .secret(Secret("admin-pw-secret"))]
        let scope = layers.scope
        let table: [(String, String)] = [
            ("{{ ec2_tags.Role }}", hostile),
            ("{{ ec2_tags['Note'] }}", "{% for x in [1] %}loop{% endfor %}"),
            ("{{ ec2_tags.Name }}", "web-a"),
        ]
        for (template, expected) in table {
            XCTAssertEqual(try TemplateEngine.render(template, variables: scope).text, expected, template)
        }
        XCTAssertEqual(try scope.value("ec2_tags")?.dictValue?["Role"]?.text, hostile)
    }

    /// Through the real engine with this inventory on a local connection.
    func testTagValuesReachTasksAsWritten() throws {
        let inventory = try inventory()
        let directory = try makeTempDir([
            "p.yml": """
                - hosts: web
                  tasks:
                    - name: show the tag
                      debug: {msg: "role={{ ec2_tags.Role }}"}
                """,
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let playbook = try PlaybookLoader.load(path: directory + "/p.yml")
        let resolver = HostResolver(inventory: inventory, sshConfig: SSHConfig(), sshConfigFile: nil)
        let pool = ConnectionPool(resolver: resolver) { host in LocalConnection(hostName: host.name) }
        let reporter = CollectingReporter()
        var options = RunOptions()
        options.secretVariables = ["db_admin_password": .secret(Secret("admin-pw-secret"))]
        let runner = PlaybookRunner(playbook: playbook, inventory: inventory, options: options, pool: pool,
                                    reporter: reporter, redactor: Redactor())
        _ = try runner.run(targets: [])
        XCTAssertEqual(reporter.tasks.map(\.message), ["role=\(hostile)"])
    }
}
