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

/// A real shell on this machine whose package-manager state directories live under a
/// temporary root: the module's own probe scripts run, with their paths moved there.
final class RootedConnection: Connection, @unchecked Sendable {
    let hostName = "rooted"
    let root: String
    static let moved = ["/var/lib/apt/", "/var/cache/apt/", "/var/lib/dpkg/status", "/var/lib/provision", "/var/cache/dnf/", "/var/cache/yum/", "/etc/os-release"]
    private let local = LocalConnection(hostName: "rooted")

    init(root: String) { self.root = root }

    func rewrite(_ command: String) -> String {
        Self.moved.reduce(command) { $0.replacingOccurrences(of: $1, with: root + $1) }
    }
    func run(_ command: String, stdin: Data, become: Bool, timeout: TimeInterval?,
             onOutput: (@Sendable (OutputStreamKind, Data) -> Void)?) throws -> CommandResult {
        try local.run(rewrite(command), stdin: stdin, become: become, timeout: timeout, onOutput: onOutput)
    }
    func put(_ data: Data, to path: String, attributes: FileAttributes, become: Bool) throws {
        try local.put(data, to: rewrite(path), attributes: attributes, become: become)
    }
    func put(file localPath: String, to path: String, attributes: FileAttributes, become: Bool) throws {
        try local.put(file: localPath, to: rewrite(path), attributes: attributes, become: become)
    }
    func openTunnel(toHost host: String, port: Int) throws -> any Tunnel { throw ModuleError("no tunnels here") }
    func close() {}
}

/// How old the package cache is, on apt, dnf and yum hosts, and that check mode writes nothing.
final class PackageCacheTests: XCTestCase {
    var driver: FileModuleDriver!
    var root: String { driver.directory }

    override func setUpWithError() throws {
        driver = try FileModuleDriver()
        driver.connection = RootedConnection(root: driver.directory)
    }
    override func tearDown() { driver?.remove() }

    func facts(_ manager: Facts.PackageManager) -> Facts {
        switch manager {
        case .apt: return Facts(distribution: .debian, osID: "debian", osVersion: "12", packageManager: .apt, initSystem: .systemd, architecture: "x86_64", hostname: "h")
        case .yum: return Facts(distribution: .amazonLinux2, osID: "amzn", osVersion: "2", packageManager: .yum, initSystem: .systemd, architecture: "x86_64", hostname: "h")
        default: return Facts(distribution: .amazonLinux2023, osID: "amzn", osVersion: "2023", packageManager: .dnf, initSystem: .systemd, architecture: "x86_64", hostname: "h")
        }
    }

    func decide(_ manager: Facts.PackageManager, _ args: [String: Value], check: Bool = false) throws -> Decision<PackageModule.Plan> {
        let module = try PackageModule(ModuleArguments(module: "package", values: args))
        var context = driver.context(check: check)
        context.facts = facts(manager)
        return try module.decide(try driver.probe(module, context), context)
    }

    func make(_ path: String, agedSeconds: Int, directory: Bool = false) throws {
        let full = root + path
        if directory {
            try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        } else {
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: full, contents: Data("x".utf8))
        }
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: TimeInterval(-agedSeconds))], ofItemAtPath: full)
    }

    let refresh: [String: Value] = ["update_cache": .bool(true), "cache_valid_time": .int(3600)]

    func isChange(_ d: Decision<PackageModule.Plan>) -> Bool { if case .change = d { return true } else { return false } }
    func summary(_ d: Decision<PackageModule.Plan>) -> String {
        switch d {
        case .change(let s, _, let plan, _): return s + " \(plan.refreshCache)"
        case .ok(let s): return "ok: \(s ?? "")"
        default: return "\(d)"
        }
    }

    /// apt-get -s upgrade run as root (the tool's own probe, or any apt command) rebuilds
    /// pkgcache.bin: its mtime says nothing about when the lists were last fetched.
    func testAptCacheAgeIsWhenTheListsWereFetchedNotWhenPkgcacheWasRebuilt() throws {
        try make("/var/lib/apt/lists/partial", agedSeconds: 7200, directory: true)
        try make("/var/lib/apt/lists", agedSeconds: 7200, directory: true)
        try make("/var/cache/apt/pkgcache.bin", agedSeconds: 5)
        let stale = try decide(.apt, refresh)
        XCTAssertTrue(isChange(stale), summary(stale))
        XCTAssertTrue(summary(stale).contains("update the package cache"), summary(stale))
        try make("/var/lib/apt/lists/partial", agedSeconds: 60, directory: true)
        XCTAssertFalse(isChange(try decide(.apt, refresh)), "fetched a minute ago: fresh")
    }

    func testDnfCacheAgeIsTheLastMetadataCheck() throws {
        // No metadata at all: refresh.
        XCTAssertTrue(isChange(try decide(.dnf, refresh)))
        // dnf resets the timestamp of each repo's primary metadata when it checks it.
        try make("/var/cache/dnf/amazonlinux-de59e605b19af991/repodata/b1a3-primary.xml.gz", agedSeconds: 600)
        let fresh = try decide(.dnf, refresh)
        XCTAssertFalse(isChange(fresh), summary(fresh))
        try make("/var/cache/dnf/amazonlinux-de59e605b19af991/repodata/b1a3-primary.xml.gz", agedSeconds: 7200)
        XCTAssertTrue(isChange(try decide(.dnf, refresh)))
    }

    func testYumCacheAgeIsTheCachecookie() throws {
        try make("/var/cache/yum/x86_64/2/amzn2-core/cachecookie", agedSeconds: 600)
        XCTAssertFalse(isChange(try decide(.yum, refresh)))
        try make("/var/cache/yum/x86_64/2/amzn2-core/cachecookie", agedSeconds: 7200)
        XCTAssertTrue(isChange(try decide(.yum, refresh)))
    }

    /// Check mode looks, it never writes on the host: not provision's cache of
    /// `apt-get -s upgrade`, and (through apt's own options) not apt's pkgcache.
    func testCheckModeWritesNothingOnAnAptHost() throws {
        guard FileManager.default.fileExists(atPath: "/usr/bin/apt-get") else { throw XCTSkip("no apt-get here") }
        let all: [String: Value] = ["name": .string("*"), "state": .string("latest")]
        _ = try decide(.apt, all, check: true)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/var/lib/provision/apt-upgradable"), "check mode wrote on the host")
        _ = try decide(.apt, all, check: false)
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/var/lib/provision/apt-upgradable"), "a real run keeps the answer")
    }

    /// A no-op asks `apt-get -s upgrade` only when dpkg's status or apt's lists changed since
    /// the answer was kept: the kept answer is what the module then sees, in a run and in
    /// check mode; a change to dpkg's status makes it ask again.
    func testTheKeptUpgradableAnswerIsUsedUntilDpkgsStatusChanges() throws {
        guard FileManager.default.fileExists(atPath: "/usr/bin/apt-get") else { throw XCTSkip("no apt-get here") }
        try make("/var/lib/apt/lists", agedSeconds: 600, directory: true)
        try make("/var/lib/dpkg/status", agedSeconds: 600)
        let all: [String: Value] = ["name": .string("*"), "state": .string("latest")]
        _ = try decide(.apt, all)
        let kept = root + "/var/lib/provision/apt-upgradable"
        let stamp = try XCTUnwrap(try String(contentsOfFile: kept, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).first)
        XCTAssertEqual(stamp.split(separator: " ").count, 2, "both timestamps in the stamp: \(stamp)")
        try Data((stamp + "\nkept-answer-one\nkept-answer-two\n").utf8).write(to: URL(fileURLWithPath: kept))
        for check in [false, true] {
            let reused = summary(try decide(.apt, all, check: check))
            XCTAssertTrue(reused.contains("upgrade 2 package(s): kept-answer-one, kept-answer-two"), "check \(check): \(reused)")
        }
        try make("/var/lib/dpkg/status", agedSeconds: 5)
        let asked = summary(try decide(.apt, all))
        XCTAssertFalse(asked.contains("kept-answer"), "dpkg's status changed: asked apt again, got \(asked)")
    }
}
