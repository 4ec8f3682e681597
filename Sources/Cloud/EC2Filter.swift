/// One DescribeInstances filter: an EC2 filter name (`tag:Name`, `vpc-id`,
/// `availability-zone`, `instance-state-name`, …) and the values any of which match.
public struct EC2Filter: Sendable, Equatable {
    public var name: String
    public var values: [String]

    public init(_ name: String, _ values: [String]) {
        self.name = name
        self.values = values
    }

    /// What the inventory always adds: stopped and terminated instances cannot be provisioned.
    public static let running = EC2Filter("instance-state-name", ["running"])

    /// `Filter.N.Name` and `Filter.N.Value.M` query parameters.
    static func parameters(_ filters: [EC2Filter]) -> [(String, String)] {
        var parameters: [(String, String)] = []
        for (i, filter) in filters.enumerated() {
            parameters.append(("Filter.\(i + 1).Name", filter.name))
            for (j, value) in filter.values.enumerated() { parameters.append(("Filter.\(i + 1).Value.\(j + 1)", value)) }
        }
        return parameters
    }
}
