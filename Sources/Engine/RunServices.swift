import Foundation
import ProvisionCore

/// What every host of a run shares: the options, the connections, where events go and
/// what they must not show.
struct RunServices: Sendable {
    let options: RunOptions
    let pool: ConnectionPool
    let reporter: RunReporter
    let redactor: Redactor
    /// The `groups` magic variable (`MagicVariables.groups`).
    let groups: Value
    /// The `hostvars` magic variable (`MagicVariables.hostvars`).
    let hostvars: Value
}
