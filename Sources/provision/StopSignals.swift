import Engine
import Foundation

/// SIGINT and SIGTERM during a run: the first asks the engine to stop after the running
/// tasks (the recap is still printed, exit 130 or 143); a second one stops at once.
enum StopSignals {
    nonisolated(unsafe) static var sources: [DispatchSourceSignal] = []

    static func install() {
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if Interruption.shared.request(name) {
                    FileHandle.standardError.write(Data("provision: \(name): finishing the tasks running now, then stopping (again to stop at once)\n".utf8))
                } else {
                    Foundation.exit(exitStatus(for: name))
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    static func exitStatus(for name: String) -> Int32 { name == "SIGTERM" ? 143 : 130 }

    /// The status to leave with: the signal's when the run was interrupted.
    static func status(_ status: Int32) -> Int32 {
        Interruption.shared.reason.map(exitStatus(for:)) ?? status
    }
}
