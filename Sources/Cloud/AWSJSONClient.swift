import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ProvisionCore

/// An AWS service that speaks the JSON protocol (Secrets Manager): a JSON body POSTed to `/`
/// with the operation in `X-Amz-Target`, signed with SigV4; JSON answers, errors as
/// `{"__type": CODE, "message": …}`. Blocking; signing and retries are `AWSExchange`'s.
public struct AWSJSONClient: Sendable {
    public var service: AWSService
    /// The `X-Amz-Target` prefix (`secretsmanager`).
    public var targetPrefix: String
    public var region: String
    public var endpoint: URL
    public var credentials: AWSCredentials
    public var attempts = 3
    public var timeout: TimeInterval = 30

    public init(service: AWSService, targetPrefix: String, region: String, credentials: AWSCredentials,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.service = service
        self.targetPrefix = targetPrefix
        self.region = region
        self.credentials = credentials
        endpoint = try service.endpoint(region: region, environment: environment)
    }

    /// Calls `operation` with `input`; the answer's JSON object, or AWS's error code and message.
    public func call(_ operation: String, _ input: [String: Any]) throws -> [String: Any] {
        try AWSExchange.retrying(attempts: attempts) { try callOnce(operation, input) }
    }

    func callOnce(_ operation: String, _ input: [String: Any]) throws -> [String: Any] {
        let body = try JSONSerialization.data(withJSONObject: input, options: [.sortedKeys])
        let exchange = AWSExchange(service: service, region: region, endpoint: endpoint, credentials: credentials, timeout: timeout)
        let response = exchange.post(body, headers: ["Content-Type": "application/x-amz-json-1.1",
                                                     "X-Amz-Target": "\(targetPrefix).\(operation)"])
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        if response.success != nil { return object ?? [:] }
        let what = "\(service.signingName) \(operation)"
        if let type = object?["__type"] as? String {
            // "com.amazonaws…#ResourceNotFoundException" or the bare name.
            let code = String(type.split(separator: "#").last ?? Substring(type))
            let message = object?["message"] as? String ?? object?["Message"] as? String ?? ""
            throw CloudError("\(what): \(code): \(message)", code: code)
        }
        throw exchange.unexplained(response, what)
    }
}
