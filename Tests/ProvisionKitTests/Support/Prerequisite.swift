import Foundation
import XCTest

/// A lab, database or tool a test needs and cannot find: a skip on a developer's machine,
/// a failure in CI (`CI=true`), where a missing prerequisite means the run proved nothing.
enum Prerequisite {
    static func missing(_ reason: String) -> Error {
        ProcessInfo.processInfo.environment["CI"] == "true" ? Unavailable(reason: "in CI: " + reason) : XCTSkip(reason)
    }
    struct Unavailable: Error, CustomStringConvertible { var reason: String; var description: String { reason } }
}
