import Engine
import Foundation

/// On a terminal: a live block (`LiveProgress`: hosts done, running, failed; each running
/// host's task and its elapsed time, the slowest first) redrawn in place, instead of a line
/// per task per host. Play headers, warnings and every failure in full are printed above
/// it as they happen, then the recap. Not a terminal, `-v` or `--json`: plain lines.
final class LiveReporter: RunReporter, @unchecked Sendable {
    private let lines: HumanReporter
    private let lock = NSLock()
    private var progress = LiveProgress()
    private var drawn = 0
    private var finished = false
    private let clock = Date()

    init() {
        lines = HumanReporter(verbose: 0)
        let thread = Thread { [weak self] in
            while let self, self.redraw() { Thread.sleep(forTimeInterval: 0.25) }
        }
        thread.start()
    }

    /// Whether this process writes to a terminal that can redraw.
    static var wanted: Bool {
        let environment = ProcessInfo.processInfo.environment
        return isatty(STDOUT_FILENO) == 1 && environment["TERM"] != "dumb" && environment["PROVISION_LIVE"] != "0"
    }

    var now: TimeInterval { Date().timeIntervalSince(clock) }

    func report(_ event: RunEvent) {
        lock.lock()
        defer { lock.unlock() }
        progress.apply(event, at: now)
        switch event {
        case .taskStarted:
            return
        case .task(let r) where r.status != .failed || r.ignoredError:
            return   // counted in the block and the recap
        case .finished:
            clear()
            finished = true
            lines.report(event)
        default:
            clear()
            lines.report(event)
            draw()
        }
    }

    /// One redraw; false once the run has finished (the thread ends).
    private func redraw() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return false }
        clear()
        draw()
        return true
    }

    private func draw() {
        let width = Self.terminalWidth
        let block = progress.render(at: now).map { String(outputRedactor.redact($0).prefix(width - 1)) }
        FileHandle.standardOutput.write(Data((block.joined(separator: "\n") + "\n").utf8))
        drawn = block.count
    }

    /// Moves up over the block and clears to the end of the screen.
    private func clear() {
        guard drawn > 0 else { return }
        FileHandle.standardOutput.write(Data("\u{1B}[\(drawn)F\u{1B}[J".utf8))
        drawn = 0
    }

    static var terminalWidth: Int {
        var size = winsize()
        return ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 10 ? Int(size.ws_col) : 80
    }
}
