import Foundation
import ProvisionCore

/// A batch of hosts (`--serial`, a play's `serial:`): a count (`2`) or a share of the play's
/// hosts (`30%`), at least one host.
public enum BatchSize: Sendable, Equatable {
    case count(Int)
    case percent(Int)

    public init(parsing text: String, what: String = "--serial", at location: SourceLocation? = nil) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%"), let p = Int(trimmed.dropLast()), (1...100).contains(p) {
            self = .percent(p)
        } else if let n = Int(trimmed), n >= 1 {
            self = .count(n)
        } else {
            throw InputError("\(what): expected a number of hosts (2) or a percentage (30%), got '\(text)'", at: location)
        }
    }

    public func batches(of hosts: [String]) -> [[String]] {
        guard !hosts.isEmpty else { return [] }
        let size: Int
        switch self {
        case .count(let n): size = n
        case .percent(let p): size = max(1, hosts.count * p / 100)
        }
        return stride(from: 0, to: hosts.count, by: size).map { Array(hosts[$0..<min($0 + size, hosts.count)]) }
    }

    /// The batches for `sizes` in turn, the last size repeated until every host has one
    /// (Ansible's `serial: [1, 5, "20%"]`); a share is of all `hosts`.
    public static func batches(_ sizes: [BatchSize], of hosts: [String]) -> [[String]] {
        guard let last = sizes.last, !hosts.isEmpty else { return hosts.isEmpty ? [] : [hosts] }
        var batches: [[String]] = []
        var start = 0
        var index = 0
        while start < hosts.count {
            let size: Int
            switch index < sizes.count ? sizes[index] : last {
            case .count(let n): size = n
            case .percent(let p): size = max(1, hosts.count * p / 100)
            }
            batches.append(Array(hosts[start..<min(start + size, hosts.count)]))
            start += size
            index += 1
        }
        return batches
    }
}
