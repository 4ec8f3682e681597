import Foundation

/// The part of the EC2 API the inventory uses (Query API, version 2016-11-15).
public struct EC2Client: Sendable {
    public let query: AWSQueryClient

    public init(query: AWSQueryClient) { self.query = query }

    /// Credentials from the chain and the endpoint from the environment, as the AWS CLI finds them.
    public init(region: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        query = try AWSQueryClient(service: .ec2, region: region, credentials: try AWSCredentials.resolve(environment: environment),
                                   environment: environment)
    }

    /// Every instance the filters match, over all pages (`NextToken`). `pageSize` sets
    /// `MaxResults` (5…1000); nil lets EC2 choose.
    public func describeInstances(filters: [EC2Filter], pageSize: Int? = nil) throws -> [EC2Instance] {
        var parameters = EC2Filter.parameters(filters)
        if let pageSize { parameters.append(("MaxResults", String(min(max(pageSize, 5), 1000)))) }
        var found: [EC2Instance] = []
        var token: String?
        var seenTokens = Set<String>()
        repeat {
            let answer = try query.call("DescribeInstances", parameters + (token.map { [("NextToken", $0)] } ?? []))
            found += answer.all("reservationSet", "item", "instancesSet", "item").map(EC2Instance.init)
            token = answer.value("nextToken").flatMap { $0.isEmpty ? nil : $0 }
            // A token seen before would loop for ever.
            if let token, !seenTokens.insert(token).inserted {
                throw CloudError("ec2 DescribeInstances: the answer repeats NextToken \(token)")
            }
        } while token != nil
        return found
    }
}
