import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
import ProvisionCore
#endif

/// An AWS service that speaks the Query protocol (EC2, ELBv2): form-encoded POSTs signed
/// with SigV4, XML answers. Blocking: callers are the engine's own threads.
public struct AWSQueryClient: Sendable {
    public var service: AWSService
    public var region: String
    public var endpoint: URL
    public var credentials: AWSCredentials
    /// Tries per call: throttling, 5xx and no answer are retried, as the SDKs' standard mode does.
    public var attempts = 3
    public var timeout: TimeInterval = 30

    public init(service: AWSService, region: String, credentials: AWSCredentials,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.service = service
        self.region = region
        self.credentials = credentials
        endpoint = try service.endpoint(region: region, environment: environment)
    }

    /// Calls `action` and returns the answer's XML, or throws AWS's error code and message.
    public func call(_ action: String, _ parameters: [(String, String)] = []) throws -> XMLTree {
        try AWSExchange.retrying(attempts: attempts) { try callOnce(action, parameters) }
    }

    /// The form body, byte for byte as botocore writes it (Python's `urlencode`: RFC 3986
    /// unreserved characters kept, a space as `+`, the rest `%XX`). Any form encoding is
    /// valid, but moto checks signatures over the body re-encoded this way.
    public static func formBody(_ pairs: [(String, String)]) -> Data {
        func encode(_ text: String) -> String { SigV4.encode(text).replacingOccurrences(of: "%20", with: "+") }
        return Data(pairs.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&").utf8)
    }

    func callOnce(_ action: String, _ parameters: [(String, String)]) throws -> XMLTree {
        let body = Self.formBody([("Action", action), ("Version", service.apiVersion)] + parameters)
        let exchange = AWSExchange(service: service, region: region, endpoint: endpoint, credentials: credentials, timeout: timeout)
        let response = exchange.post(body, headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"])
        let tree = XMLTree.parse(response.body)
        if response.success != nil, let tree { return tree }
        // EC2 answers <Response><Errors><Error>, ELBv2 <ErrorResponse><Error>.
        let error = tree?.all("Errors", "Error").first ?? tree?["Error"]
        let what = "\(service.signingName) \(action)"
        if let code = error?.value("Code") {
            throw CloudError("\(what): \(code): \(error?.value("Message") ?? "")", code: code)
        }
        throw exchange.unexplained(response, what)
    }
}
