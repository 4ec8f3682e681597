import Foundation

/// A load balancer's target group as a rolling update sees it (ELBv2 in Cloud/). Each
/// call returns once the change has taken effect: deregistered targets drained and out
/// of service, registered ones in service.
public protocol TargetGroup: Sendable {
    /// For messages: the group's name or ARN.
    var label: String { get }
    func deregister(_ targets: [String]) throws
    func register(_ targets: [String]) throws
    /// Targets in service now (registered, not draining).
    func inService() throws -> [String]
}
