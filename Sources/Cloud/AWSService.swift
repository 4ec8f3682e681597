import Foundation
import ProvisionCore

/// One AWS Query API as the signer and the endpoint resolution need it.
public struct AWSService: Sendable, Equatable {
    /// The name in the SigV4 scope (`ec2`, `elasticloadbalancing`).
    public var signingName: String
    /// The host's first label in the regional endpoint.
    public var endpointPrefix: String
    public var apiVersion: String
    /// The AWS CLI's per-service override, read before `AWS_ENDPOINT_URL`.
    public var endpointVariable: String

    public static let ec2 = AWSService(signingName: "ec2", endpointPrefix: "ec2", apiVersion: "2016-11-15",
                                       endpointVariable: "AWS_ENDPOINT_URL_EC2")
    public static let elasticLoadBalancingV2 = AWSService(signingName: "elasticloadbalancing", endpointPrefix: "elasticloadbalancing",
                                                          apiVersion: "2015-12-01",
                                                          endpointVariable: "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2")

    /// Secrets Manager speaks the JSON protocol (`AWSJSONClient`); no API version in its calls.
    public static let secretsManager = AWSService(signingName: "secretsmanager", endpointPrefix: "secretsmanager", apiVersion: "",
                                                  endpointVariable: "AWS_ENDPOINT_URL_SECRETS_MANAGER")

    /// `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, else the regional endpoint,
    /// as the AWS CLI and SDKs do (and, like them, none of the overrides with
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`).
    public func endpoint(region: String, environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let ignoreOverrides = env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() == "true"
        let override = ignoreOverrides ? nil : [endpointVariable, "AWS_ENDPOINT_URL"].lazy
            .compactMap { name in env[name].flatMap { $0.isEmpty ? nil : (name, $0) } }.first
        guard let (variable, text) = override else {
            // China's regions live under their own domain.
            let domain = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
            return URL(string: "https://\(endpointPrefix).\(region).\(domain)")!
        }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false else {
            throw InputError("\(variable) is not an http(s) URL: \(text)", hint: "e.g. \(variable)=http://127.0.0.1:5000")
        }
        return url
    }
}
