import Foundation
import XCTest

/// A TCP listener on 127.0.0.1 (a free port) standing in for every host of a bad-input
/// case: it counts connections and answers each with `HTTP/1.1 400 Bad Request`, so a run
/// that gets as far as connecting meets a service that is not SSH.
final class FakeHostListener: @unchecked Sendable {
    let port: Int
    private let socket: Int32
    private let lock = NSLock()
    private var count = 0
    private var closed = false
    private let done = DispatchSemaphore(value: 0)

    init() throws {
        let fd = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        socket = fd
        port = Int(UInt16(bigEndian: actual.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    private func acceptLoop() {
        defer { done.signal() }
        while true {
            let client = accept(socket, nil, nil)
            if client < 0 {
                lock.lock(); let stop = closed; lock.unlock()
                if stop || (errno != EINTR && errno != ECONNABORTED) { return }
                continue
            }
            lock.lock(); count += 1; lock.unlock()
            let reply = Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
            _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(client)
        }
    }

    var connections: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    func stop() {
        lock.lock(); closed = true; lock.unlock()
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
        _ = done.wait(timeout: .now() + 5)
    }
}

/// The built `provision` executable, run as a user runs it.
enum ProvisionBinary {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
        var all: String { stdout + stderr }
    }

    /// The test bundle sits in the build products directory, beside the executable
    /// (as `CommandLineTests.provision` finds it).
    static var path: String {
        var products = Bundle(for: FakeHostListener.self).bundleURL
        if products.pathExtension == "xctest" { products.deleteLastPathComponent() }
        return products.appendingPathComponent("provision").path
    }

    /// Runs in `directory` with HOME there too (no ~/.ssh of the machine's user), no
    /// ssh-agent and no secrets from the environment; killed after `timeout` seconds.
    static func run(_ arguments: [String], in directory: String, timeout: TimeInterval = 60) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = directory
        for name in ["SSH_AUTH_SOCK", "PROVISION_DB_PASSWORD", "PROVISION_DB_ADMIN_PASSWORD", "AWS_PROFILE"] {
            environment[name] = nil
        }
        process.environment = environment
        let outFile = directory + "/.stdout", errFile = directory + "/.stderr"
        FileManager.default.createFile(atPath: outFile, contents: nil)
        FileManager.default.createFile(atPath: errFile, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outFile))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errFile))
        defer { try? out.close(); try? err.close() }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        var timedOut = false
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
        }
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        defer { try? FileManager.default.removeItem(atPath: outFile); try? FileManager.default.removeItem(atPath: errFile) }
        return Output(status: process.terminationStatus, stdout: read(outFile), stderr: read(errFile), timedOut: timedOut)
    }
}

/// A deterministic PRNG (SplitMix64): the same seed gives the same inputs on every machine.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
