import Foundation

/// A program run to its end with its output captured; the environment's AWS_ variables
/// are dropped so a developer's own credentials never reach a test.
enum TestProcess {
    struct Output { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    directory: String? = nil) -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("AWS_") { env[key] = nil }
        process.environment = env.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return Output(status: -1, stdout: "", stderr: "\(error)") }
        let errData = DataSink()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); done.signal() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        done.wait()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.data, as: UTF8.self))
    }

    /// The `provision` executable, built beside the test bundle.
    static var provisionBinary: String {
        var products = Bundle(for: DataSink.self).bundleURL
        if products.pathExtension == "xctest" { products.deleteLastPathComponent() }
        return products.appendingPathComponent("provision").path
    }
}

final class DataSink: @unchecked Sendable { var data = Data() }
