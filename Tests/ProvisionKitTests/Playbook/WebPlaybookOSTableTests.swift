import Foundation
import XCTest
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// OS knowledge is data: the web play picks one table per family from `playbooks/vars/os/`
/// by the host's facts (distribution and major version, else family).
final class WebPlaybookOSTableTests: XCTestCase {
    func facts(_ distribution: Facts.Distribution, _ id: String, _ version: String, _ manager: Facts.PackageManager) -> Facts {
        Facts(distribution: distribution, osID: id, osVersion: version, packageManager: manager, initSystem: .systemd,
              architecture: "x86_64", hostname: "h")
    }

    func testEachFamilyGetsItsTable() throws {
        let redHatPackages: Value = .list(["httpd", "php", "php-mysqlnd", "php-mbstring", "php-xml", "php-fpm", "tar", "gzip"])
        let cases: [(Facts, service: String, user: String, fpm: String?, extras: Bool, packages: Value)] = [
            (facts(.amazonLinux2023, "amzn", "2023", .dnf), "httpd", "apache", "php-fpm", false, redHatPackages),
            (facts(.amazonLinux2, "amzn", "2", .yum), "httpd", "apache", "php-fpm", true, redHatPackages),
            (facts(.other, "rocky", "9.4", .dnf), "httpd", "apache", "php-fpm", false, redHatPackages),
            (facts(.debian, "debian", "12", .apt), "apache2", "www-data", nil, false,
             .list(["apache2", "libapache2-mod-php", "php-mysql", "php-mbstring", "php-xml", "curl"])),
            (facts(.ubuntu, "ubuntu", "24.04", .apt), "apache2", "www-data", nil, false,
             .list(["apache2", "libapache2-mod-php", "php-mysql", "php-mbstring", "php-xml", "curl"])),
        ]
        for c in cases {
            let v = try WebPlaybookOSTable.variables(for: c.0)
            let name = "\(c.0.distribution) \(c.0.osVersion)"
            XCTAssertEqual(v["web_server_service"], .string(c.service), name)
            XCTAssertEqual(v["web_user"], .string(c.user), name)
            XCTAssertEqual(v["web_group"], .string(c.user), name)
            XCTAssertEqual(v["php_fpm_service"], c.fpm.map(Value.string), name)
            XCTAssertEqual(v["php_from_extras"] == .bool(true), c.extras, name)
            XCTAssertEqual(v["web_packages"], c.packages, name)
            XCTAssertEqual(v["apache_wordpress_conf"] != nil, c.0.packageManager == .apt, name)
        }
    }

    func testAnOSWithoutATableIsAClearError() {
        XCTAssertThrowsError(try WebPlaybookOSTable.variables(for: facts(.other, "alpine", "3.20", .unknown))) { error in
            XCTAssertTrue("\(error)".contains("with_first_found: none of os/alpine-3.yml, os/Unknown.yml was found"), "\(error)")
        }
    }

    func testValidateKnowsTheTablesVariables() throws {
        let playbook = try PlaybookLoader.load(path: WebPlaybookOSTable.repository + "/playbooks/web.yml",
                                               modules: ModuleVocabulary(ModuleRegistry.specs))
        let task = try XCTUnwrap(playbook.plays.first?.tasks.first)
        let names = Set(IncludeVarsModule.variablesNamed(by: task))
        XCTAssertTrue(names.isSuperset(of: ["web_packages", "web_server_service", "web_user", "web_group", "php_fpm_service",
                                            "php_from_extras", "apache_wordpress_conf"]), "\(names.sorted())")
    }
}
