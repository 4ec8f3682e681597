import Foundation

/// Runs a local program with both output streams drained at once (a large output on one
/// cannot block the other), optional input, a timeout, and streaming callbacks.
enum ProcessRunner {
    enum Input {
        case data(Data)
        case file(String)
    }

    struct TimedOut: Error {}

    static func run(_ executable: String, _ arguments: [String], input: Input = .data(Data()),
                    environment: [String: String]? = nil, timeout: TimeInterval? = nil,
                    onOutput: (@Sendable (OutputStreamKind, Data) -> Void)? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        var inputPipe: Pipe?
        switch input {
        case .file(let path):
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ConnectionError.keyUnreadable(path: path, reason: "cannot be read")
            }
            process.standardInput = handle
        case .data(let data) where data.isEmpty:
            process.standardInput = FileHandle.nullDevice
        case .data:
            inputPipe = Pipe()
            process.standardInput = inputPipe
        }
        try process.run()

        let collected = OutputCollector()
        let group = DispatchGroup()
        for (pipe, kind) in [(output, OutputStreamKind.stdout), (errors, .stderr)] {
            group.enter()
            DispatchQueue.global().async {
                let handle = pipe.fileHandleForReading
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    collected.append(chunk, to: kind)
                    onOutput?(kind, chunk)
                }
                group.leave()
            }
        }
        if let inputPipe, case .data(let data) = input {
            DispatchQueue.global().async {
                try? inputPipe.fileHandleForWriting.write(contentsOf: data)
                try? inputPipe.fileHandleForWriting.close()
            }
        }
        if let timeout, group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            group.wait()
            process.waitUntilExit()
            throw TimedOut()
        }
        group.wait()
        process.waitUntilExit()
        let (out, err) = collected.result
        return CommandResult(stdout: out, stderr: err, exitStatus: process.terminationStatus)
    }
}

/// Thread-safe accumulation of the two output streams.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()

    func append(_ data: Data, to kind: OutputStreamKind) {
        lock.lock()
        defer { lock.unlock() }
        if kind == .stdout { out.append(data) } else { err.append(data) }
    }

    var result: (Data, Data) {
        lock.lock()
        defer { lock.unlock() }
        return (out, err)
    }
}
