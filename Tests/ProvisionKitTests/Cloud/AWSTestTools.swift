import Foundation
import XCTest

/// What the AWS tests run beside the Swift code: the Python virtualenv from
/// scripts/python-deps (moto's server, botocore) and the `provision` binary.
enum AWSTestTools {
    static let venv = ProcessInfo.processInfo.environment["PROVISION_VENV"] ?? "/var/tmp/provision-venv"
    static let credentials = ["AWS_ACCESS_KEY_ID": "AKIDTESTING", "AWS_SECRET_ACCESS_KEY": "testing-secret",
                              "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "ap-northeast-1"]

    static func requireVenv() throws {
        guard FileManager.default.isExecutableFile(atPath: venv + "/bin/moto_server") else {
            XCTFail("no Python venv with moto at \(venv): run scripts/install-deps (it runs scripts/python-deps)")
            throw XCTSkip("no venv")
        }
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    directory: String? = nil) -> TestProcess.Output {
        TestProcess.run(executable, arguments, environment: environment, directory: directory)
    }

    /// A Python script in the venv; its stdout.
    static func python(_ script: String, environment: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) -> String {
        let out = run(venv + "/bin/python", ["-c", script], environment: credentials.merging(environment) { $1 })
        XCTAssertEqual(out.status, 0, "python failed: \(out.stderr)", file: file, line: line)
        return out.stdout
    }

    static var provisionBinary: String { TestProcess.provisionBinary }
}


/// `moto_server` on a free loopback port for one test case.
final class MotoServer {
    let process = Process()
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }
    var environment: [String: String] { AWSTestTools.credentials.merging(["AWS_ENDPOINT_URL": url]) { $1 } }

    init() throws {
        try AWSTestTools.requireVenv()
        port = MotoServer.freePort()
        process.executableURL = URL(fileURLWithPath: AWSTestTools.venv + "/bin/moto_server")
        process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if AWSTestTools.run("/usr/bin/curl", ["-sf", "-o", "/dev/null", url + "/moto-api/"]).status == 0 { return }
            usleep(100_000)
        }
        stop()
        throw XCTSkip("moto_server did not start on port \(port)")
    }

    func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }

    /// boto3 against this server; `script` sees `ec2` and `elbv2` clients in ap-northeast-1.
    func boto(_ script: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        AWSTestTools.python("""
            import boto3, json
            ec2 = boto3.client("ec2", region_name="ap-northeast-1", endpoint_url="\(url)")
            elbv2 = boto3.client("elbv2", region_name="ap-northeast-1", endpoint_url="\(url)")
            \(script)
            """, file: file, line: line)
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
