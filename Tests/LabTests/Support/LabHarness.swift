import Foundation
import XCTest

/// The local lab (scripts/lab) as tests see it: its files, its hosts, and the `provision`
/// binary built beside the tests.
enum Lab {
    static let directory = ProcessInfo.processInfo.environment["PROVISION_LAB"] ?? "/var/tmp/provision-lab"
    static var sshConfig: String { directory + "/ssh_config" }
    static var inventory: String { directory + "/inventory.yml" }
    static var knownHosts: String { directory + "/known_hosts" }
    static var wordpressArchive: String { directory + "/wordpress.tar.gz" }
    static var dbAdminPassword: String {
        (try? String(contentsOfFile: directory + "/db_admin_password", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Skips the test when no lab is up.
    static func require() throws {
        guard FileManager.default.fileExists(atPath: sshConfig) else {
            throw Prerequisite.missing("no lab at \(directory): run `scripts/lab build && scripts/lab up 3`")
        }
        let probe = run("/usr/bin/ssh", ["-F", sshConfig, "-o", "ConnectTimeout=3", "web-1", "true"])
        guard probe.status == 0 else { throw Prerequisite.missing("lab at \(directory) is not up: \(probe.stderr)") }
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var all: String { stdout + stderr }
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    directory: String? = nil) -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return Output(status: -1, stdout: "", stderr: "\(error)") }
        // Read both pipes concurrently so neither fills up.
        let errBox = DataBox()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        done.wait()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    /// The `provision` executable built with the tests.
    static var provisionBinary: String {
        // The test bundle sits in the build products directory, beside the executable.
        var products = Bundle(for: BundleToken.self).bundleURL
        if products.pathExtension == "xctest" { products.deleteLastPathComponent() }
        return products.appendingPathComponent("provision").path
    }

    /// Runs `provision` with the lab's inventory and ssh_config.
    @discardableResult
    static func provision(_ arguments: [String], environment: [String: String]? = nil, directory: String? = nil) -> Output {
        run(provisionBinary, arguments, environment: environment, directory: directory)
    }

    /// A shell command on a lab host through OpenSSH (independent of provision's transport).
    @discardableResult
    static func ssh(_ host: String, _ command: String) -> Output {
        run("/usr/bin/ssh", ["-F", sshConfig, "-o", "BatchMode=yes", host, command])
    }

    /// `scripts/lab` subcommands (launch, destroy, snapshot…).
    @discardableResult
    static func lab(_ arguments: [String]) -> Output {
        run("/bin/bash", [repository + "/scripts/lab"] + arguments)
    }

    /// JSON lines from `--json` output.
    static func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// The recap object's per-host counters.
    static func recap(_ text: String) -> [String: [String: Int]] {
        guard let recap = jsonLines(text).last(where: { $0["event"] as? String == "recap" }),
              let hosts = recap["hosts"] as? [String: [String: Int]] else { return [:] }
        return hosts
    }
}

private final class BundleToken {}

/// Written by one reader thread, read after it signals.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
