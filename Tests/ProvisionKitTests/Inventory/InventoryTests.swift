import Foundation
import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

final class InventoryTests: XCTestCase {
    func write(_ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("inv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("inventory.yml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    let course = """
        all:
          vars:
            ansible_user: ec2-user
            db_name: wordpress
          children:
            web:
              vars:
                db_name: wp_web
              hosts:
                web-1a: {ansible_host: 10.0.10.10, site_marker: "Sample 1a"}
                web-1c:
                  address: 10.0.11.10
                  port: 2222
                  key: ~/.ssh/course.pem
            db:
              hosts:
                rds: {ansible_host: db.example.internal, db_name: host_level}
        """

    func testGroupsHostsAndConnectionKeys() throws {
        let inventory = try InventoryLoader.load(path: try write(course))
        XCTAssertEqual(inventory.hosts.map(\.name), ["web-1a", "web-1c", "rds"])
        XCTAssertEqual(inventory.hosts(inGroup: "web"), ["web-1a", "web-1c"])
        let c = try XCTUnwrap(inventory.host(named: "web-1c"))
        XCTAssertEqual(c.address, "10.0.11.10")
        XCTAssertEqual(c.port, 2222)
        XCTAssertEqual(c.identityFile, "~/.ssh/course.pem")
    }

    func testVariablePrecedenceHostOverChildGroupOverAll() throws {
        let inventory = try InventoryLoader.load(path: try write(course))
        XCTAssertEqual(inventory.variables(for: "web-1a")["db_name"], "wp_web")
        XCTAssertEqual(inventory.variables(for: "rds")["db_name"], "host_level")
        XCTAssertEqual(inventory.variables(for: "web-1a")["ansible_user"], "ec2-user")
        XCTAssertEqual(inventory.variables(for: "web-1a")["site_marker"], "Sample 1a")
        XCTAssertNil(inventory.variables(for: "web-1c")["site_marker"])
    }

    func testPatterns() throws {
        let inventory = try InventoryLoader.load(path: try write(course))
        XCTAssertEqual(try inventory.resolve("all"), ["web-1a", "web-1c", "rds"])
        XCTAssertEqual(try inventory.resolve("web:!web-1c"), ["web-1a"])
        XCTAssertEqual(try inventory.resolve("all:&web"), ["web-1a", "web-1c"])
        XCTAssertEqual(try inventory.resolve("web-1*"), ["web-1a", "web-1c"])
        XCTAssertEqual(try inventory.resolve("rds,web-1a"), ["rds", "web-1a"])
    }

    func testUnknownTargetSuggestsClosestName() throws {
        let inventory = try InventoryLoader.load(path: try write(course))
        XCTAssertThrowsError(try inventory.resolve("web-1b")) { error in
            XCTAssertEqual("\(error)", "unknown host or group 'web-1b' (did you mean 'web-1a'?)")
        }
    }

    func testGroupCycleIsRefused() throws {
        let path = try write("""
            all:
              children:
                a:
                  children:
                    b:
                      children:
                        a:
            """)
        XCTAssertThrowsError(try InventoryLoader.load(path: path)) { error in
            XCTAssertTrue("\(error)".contains("group 'a' contains itself (a -> b -> a)"), "\(error)")
        }
    }

    func testHostNamesWithShellMetacharactersAreRefused() throws {
        let path = try write("""
            all:
              hosts:
                "web;rm -rf /": {ansible_host: 10.0.10.10}
            """)
        XCTAssertThrowsError(try InventoryLoader.load(path: path)) { error in
            XCTAssertTrue("\(error)".contains("host name 'web;rm -rf /' may contain only letters"), "\(error)")
            XCTAssertTrue("\(error)".contains("inventory.yml:3"), "\(error)")
        }
    }

    func testBadPortNamesHostAndLine() throws {
        let path = try write("""
            all:
              hosts:
                web-1: {ansible_port: 99999}
            """)
        XCTAssertThrowsError(try InventoryLoader.load(path: path)) { error in
            XCTAssertTrue("\(error)".contains("host 'web-1': port must be a number from 1 to 65535, not '99999'"), "\(error)")
        }
    }
}

final class SSHConfigTests: XCTestCase {
    let config = """
        # the course's host
        Host aws-and-infra web-1a
          Hostname 203.0.113.10
          Port 22
          User ec2-user
          IdentityFile ~/.ssh/aws-and-infra-ssh-key.pem
          UserKnownHostsFile /tmp/known_hosts_course

        Host web-*
          User admin
          StrictHostKeyChecking yes
          IdentitiesOnly yes
          IdentityFile /keys/second

        Host *
          User nobody
          Port 2200
        """

    func testFirstValueWinsAndIdentityFilesAccumulate() throws {
        let parsed = try SSHConfig.parse(config)
        let r = parsed.resolve("web-1a")
        XCTAssertEqual(r.hostName, "203.0.113.10")
        XCTAssertEqual(r.user, "ec2-user")
        XCTAssertEqual(r.port, 22)
        XCTAssertEqual(r.identityFiles, [NSHomeDirectory() + "/.ssh/aws-and-infra-ssh-key.pem", "/keys/second"])
        XCTAssertEqual(r.userKnownHostsFile, "/tmp/known_hosts_course")
        XCTAssertEqual(r.identitiesOnly, true)
        XCTAssertEqual(r.strictHostKeyChecking, "yes")
    }

    func testWildcardsAndDefaults() throws {
        let parsed = try SSHConfig.parse(config)
        XCTAssertEqual(parsed.resolve("web-9").user, "admin")
        XCTAssertEqual(parsed.resolve("web-9").port, 2200)
        XCTAssertEqual(parsed.resolve("other").user, "nobody")
        XCTAssertTrue(parsed.namesHost("aws-and-infra"))
        XCTAssertFalse(parsed.namesHost("web-9"))
    }

    func testHostOnlyInSSHConfigBecomesATarget() throws {
        let resolver = HostResolver(inventory: Inventory(), sshConfig: try SSHConfig.parse(config), sshConfigFile: nil)
        let inventory = CommandLineTargets.addingHosts(for: ["aws-and-infra"], to: Inventory(), sshConfig: resolver.sshConfig)
        XCTAssertEqual(try inventory.resolve("aws-and-infra"), ["aws-and-infra"])
        let host = HostResolver(inventory: inventory, sshConfig: resolver.sshConfig, sshConfigFile: nil).resolve("aws-and-infra")
        XCTAssertEqual(host.address, "203.0.113.10")
        XCTAssertEqual(host.user, "ec2-user")
        XCTAssertEqual(host.knownHostsFile, "/tmp/known_hosts_course")
    }

    /// Ansible's order for the login user: the inventory's, then the play's `remote_user`,
    /// then ssh_config's `User`.
    func testRemoteUserBetweenTheInventoryAndSSHConfig() throws {
        let sshConfig = try SSHConfig.parse(config)
        var inventory = CommandLineTargets.addingHosts(for: ["aws-and-infra"], to: Inventory(), sshConfig: sshConfig)
        inventory.add(InventoryHost(name: "named", address: "10.0.0.5", user: "inventory-user"))
        inventory.add(InventoryHost(name: "by-var", address: "10.0.0.6", variables: ["ansible_user": "var-user"]))
        let resolver = HostResolver(inventory: inventory, sshConfig: sshConfig, sshConfigFile: nil)
        XCTAssertEqual(resolver.resolve("aws-and-infra").user, "ec2-user", "ssh_config's User without remote_user")
        XCTAssertEqual(resolver.resolve("aws-and-infra", remoteUser: "deploy").user, "deploy", "remote_user over ssh_config")
        XCTAssertEqual(resolver.resolve("named", remoteUser: "deploy").user, "inventory-user", "the inventory over remote_user")
        XCTAssertEqual(resolver.resolve("by-var", remoteUser: "deploy").user, "var-user", "ansible_user over remote_user")
    }

    /// `-u`, `--private-key`, `-T` (ConnectionDefaults): under the inventory and a play's
    /// `remote_user`, over ssh_config.
    func testCommandLineConnectionDefaultsBetweenThePlayAndSSHConfig() throws {
        let sshConfig = try SSHConfig.parse(config + "\n  ConnectTimeout 7\n")
        var inventory = CommandLineTargets.addingHosts(for: ["aws-and-infra"], to: Inventory(), sshConfig: sshConfig)
        inventory.add(InventoryHost(name: "named", address: "10.0.0.5", user: "inventory-user", identityFile: "/keys/inv"))
        inventory.add(InventoryHost(name: "timed", address: "10.0.0.6", variables: ["ansible_timeout": 3]))
        var resolver = HostResolver(inventory: inventory, sshConfig: sshConfig, sshConfigFile: nil)
        resolver.defaults = ConnectionDefaults(user: "cli-user", privateKeyFile: "/keys/cli", connectTimeout: 20)
        let plain = resolver.resolve("aws-and-infra")
        XCTAssertEqual(plain.user, "cli-user", "-u over ssh_config's User")
        XCTAssertEqual(plain.identityFiles.first, "/keys/cli", "--private-key tried before ssh_config's IdentityFile")
        XCTAssertEqual(plain.identityFiles.count, 2)
        XCTAssertEqual(plain.connectTimeout, 20, "-T over ssh_config's ConnectTimeout")
        XCTAssertEqual(resolver.resolve("aws-and-infra", remoteUser: "deploy").user, "deploy", "a play's remote_user over -u")
        let named = resolver.resolve("named")
        XCTAssertEqual(named.user, "inventory-user", "the inventory over -u")
        XCTAssertEqual(named.identityFiles.prefix(2), ["/keys/inv", "/keys/cli"], "the inventory's key first")
        XCTAssertEqual(resolver.resolve("timed").connectTimeout, 3, "ansible_timeout over -T")
        resolver.defaults = ConnectionDefaults()
        XCTAssertEqual(resolver.resolve("aws-and-infra").user, "ec2-user")
        XCTAssertEqual(resolver.resolve("aws-and-infra").connectTimeout, 7)
    }

    func testInventoryWinsOverSSHConfig() throws {
        var inventory = Inventory()
        inventory.add(InventoryHost(name: "web-1a", address: "10.0.10.10", user: "ec2-user", identityFile: "/keys/inv"))
        let host = HostResolver(inventory: inventory, sshConfig: try SSHConfig.parse(config), sshConfigFile: nil).resolve("web-1a")
        XCTAssertEqual(host.address, "10.0.10.10")
        XCTAssertEqual(host.identityFiles.first, "/keys/inv")
        XCTAssertEqual(host.port, 22)
    }

    func testGlob() {
        XCTAssertTrue(Glob.matches("web-1a", "web-*"))
        XCTAssertTrue(Glob.matches("web-1a", "web-1?"))
        XCTAssertFalse(Glob.matches("db", "web-*"))
        XCTAssertTrue(Glob.matches("anything", "*"))
    }
}
