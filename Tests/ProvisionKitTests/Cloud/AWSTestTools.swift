import Foundation
import XCTest

/// What the AWS tests run beside the Swift code: the Python virtualenv from
/// scripts/python-deps (moto's server, boto3, botocore) and the `provision` binary.
/// A missing venv fails the tests (CI runs scripts/install-deps first): never a silent skip.
enum AWSTestTools {
    static let venv = ProcessInfo.processInfo.environment["PROVISION_VENV"] ?? "/var/tmp/provision-venv"
    static var python: String { venv + "/bin/python" }
    static let credentials = ["AWS_ACCESS_KEY_ID": "AKIDTESTING", "AWS_SECRET_ACCESS_KEY": "testing-secret",
                              "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "ap-northeast-1"]

    struct Missing: Error, CustomStringConvertible { var description: String }

    static func requireVenv() throws {
        guard FileManager.default.isExecutableFile(atPath: python),
              FileManager.default.isExecutableFile(atPath: venv + "/bin/moto_server") else {
            throw Missing(description: "no Python venv with moto and botocore at \(venv): run scripts/install-deps (it runs scripts/python-deps)")
        }
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    directory: String? = nil) -> TestProcess.Output {
        TestProcess.run(executable, arguments, environment: environment, directory: directory)
    }

    /// A Python script in the venv, given `input` as JSON on `sys.argv[1]`; its stdout.
    static func python(_ script: String, input: Any = [String: String](), environment: [String: String] = [:],
                       file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try requireVenv()
        let json = String(decoding: try JSONSerialization.data(withJSONObject: input), as: UTF8.self)
        let out = run(python, ["-c", script, json], environment: credentials.merging(environment) { $1 })
        guard out.status == 0 else {
            XCTFail("python failed (\(out.status)): \(out.stderr)", file: file, line: line)
            throw Missing(description: "python failed")
        }
        return out.stdout
    }

    static var provisionBinary: String { TestProcess.provisionBinary }
}

/// `moto_server` on a free loopback port for one test case; stopped by `stop()`.
final class MotoServer {
    let process = Process()
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }
    /// What `provision` and the Swift clients need to talk to this server.
    var environment: [String: String] { AWSTestTools.credentials.merging(["AWS_ENDPOINT_URL": url]) { $1 } }

    init(environment extra: [String: String] = [:]) throws {
        try AWSTestTools.requireVenv()
        port = MotoServer.freePort()
        process.executableURL = URL(fileURLWithPath: AWSTestTools.venv + "/bin/moto_server")
        process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }.merging(extra) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning {
            if AWSTestTools.run("/usr/bin/curl", ["-sf", "-o", "/dev/null", url + "/moto-api/"]).status == 0 { return }
            usleep(100_000)
        }
        stop()
        throw AWSTestTools.Missing(description: "moto_server did not answer on 127.0.0.1:\(port) within 30 s")
    }

    func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }

    /// boto3 against this server: `script` sees `ec2` and `elbv2` clients in ap-northeast-1,
    /// `json`, and `data` (the JSON `input`).
    func boto(_ script: String, input: Any = [String: String](), file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try AWSTestTools.python("""
            import boto3, json, sys
            data = json.loads(sys.argv[1])
            ec2 = boto3.client("ec2", region_name="ap-northeast-1", endpoint_url="\(url)")
            elbv2 = boto3.client("elbv2", region_name="ap-northeast-1", endpoint_url="\(url)")
            secretsmanager = boto3.client("secretsmanager", region_name="ap-northeast-1", endpoint_url="\(url)")
            \(script)
            """, input: input, file: file, line: line)
    }

    /// A loopback port nobody listens on right now.
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
