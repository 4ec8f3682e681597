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

/// The real gathering script runs against the os-release file of each family.
final class FactsTests: XCTestCase {
    static let osReleases: [(String, String)] = [
        ("amazon-linux-2", """
            NAME="Amazon Linux"
            VERSION="2"
            ID="amzn"
            ID_LIKE="centos rhel fedora"
            VERSION_ID="2"
            PRETTY_NAME="Amazon Linux 2"
            ANSI_COLOR="0;33"
            CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2"
            HOME_URL="https://amazonlinux.com/"
            SUPPORT_END="2026-06-30"
            """),
        ("amazon-linux-2023", """
            NAME="Amazon Linux"
            VERSION="2023"
            ID="amzn"
            ID_LIKE="fedora"
            VERSION_ID="2023"
            PLATFORM_ID="platform:al2023"
            PRETTY_NAME="Amazon Linux 2023.6.20250107"
            ANSI_COLOR="0;33"
            CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2023"
            HOME_URL="https://aws.amazon.com/linux/amazon-linux-2023/"
            SUPPORT_END="2029-06-30"
            """),
        ("debian-12", """
            PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
            NAME="Debian GNU/Linux"
            VERSION_ID="12"
            VERSION="12 (bookworm)"
            VERSION_CODENAME=bookworm
            ID=debian
            HOME_URL="https://www.debian.org/"
            """),
        ("ubuntu-24.04", """
            PRETTY_NAME="Ubuntu 24.04.1 LTS"
            NAME="Ubuntu"
            VERSION_ID="24.04"
            VERSION="24.04.1 LTS (Noble Numbat)"
            VERSION_CODENAME=noble
            ID=ubuntu
            ID_LIKE=debian
            """),
    ]

    func gather(_ osRelease: String) throws -> Facts {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("os-release-\(UUID().uuidString)").path
        try osRelease.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let script = FactsGatherer.script.replacingOccurrences(of: "/etc/os-release", with: file)
        let result = try LocalConnection().run(script)
        XCTAssertEqual(result.exitStatus, 0)
        return FactsGatherer.parse(result.stdoutText)
    }

    func testEachFamily() throws {
        let facts = try Dictionary(uniqueKeysWithValues: Self.osReleases.map { ($0.0, try gather($0.1)) })
        XCTAssertEqual(facts["amazon-linux-2"]?.distribution, .amazonLinux2)
        XCTAssertEqual(facts["amazon-linux-2023"]?.distribution, .amazonLinux2023)
        XCTAssertEqual(facts["debian-12"]?.distribution, .debian)
        XCTAssertEqual(facts["ubuntu-24.04"]?.distribution, .ubuntu)
        XCTAssertEqual(facts["ubuntu-24.04"]?.variables["ansible_distribution_major_version"], "24")
        XCTAssertEqual(facts["amazon-linux-2"]?.osFamily, "RedHat")
        XCTAssertEqual(facts["debian-12"]?.osFamily, "Debian")
        XCTAssertEqual(facts["debian-12"]?.variables["ansible_distribution_release"], "bookworm")
        XCTAssertEqual(facts["ubuntu-24.04"]?.variables["ansible_distribution_release"], "noble")
        XCTAssertEqual(facts["amazon-linux-2023"]?.variables["ansible_distribution_release"], "NA", "as Ansible, where os-release has no codename")
        XCTAssertEqual(facts["debian-12"]?.variables["ansible_system"], "Linux")
    }

    func testThisMachineHasAPackageManagerAndArchitecture() throws {
        let facts = FactsGatherer.parse(try LocalConnection().run(FactsGatherer.script).stdoutText)
        XCTAssertEqual(facts.packageManager, .apt)
        XCTAssertFalse(facts.architecture.isEmpty)
        XCTAssertEqual(facts.variables["ansible_system"], "Linux", "read from /proc/sys/kernel/ostype")
        XCTAssertEqual(facts.variables["ansible_machine"], .string(facts.architecture))
        XCTAssertEqual(facts.architecture, ProcessInfo.processInfo.machineHardwareName ?? facts.architecture)
    }
}

extension ProcessInfo {
    var machineHardwareName: String? {
        var info = utsname()
        guard uname(&info) == 0 else { return nil }
        return withUnsafePointer(to: &info.machine) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }
}
