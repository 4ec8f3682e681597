import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An AWS service that speaks the Query protocol (EC2, ELBv2): form-encoded POSTs signed
/// with SigV4, XML answers. Endpoint overrides as the AWS CLI reads them:
/// `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`.
public struct AWSQueryClient: Sendable {
    public var service: String
    public var version: String
    public var region: String
    public var endpoint: URL
    public var credentials: AWSCredentials

    /// `endpointVariable`: the service's override, e.g. `AWS_ENDPOINT_URL_EC2`.
    public init(service: String, endpointPrefix: String, version: String, region: String, endpointVariable: String,
                credentials: AWSCredentials, environment env: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.service = service
        self.version = version
        self.region = region
        self.credentials = credentials
        let text = [env[endpointVariable], env["AWS_ENDPOINT_URL"]].compactMap { $0 }.first { !$0.isEmpty }
            ?? "https://\(endpointPrefix).\(region).amazonaws.com"
        guard let url = URL(string: text), url.scheme != nil, url.host != nil else {
            throw InputError("\(endpointVariable)/AWS_ENDPOINT_URL is not a URL: \(text)")
        }
        endpoint = url
    }

    /// Calls `action` and returns the answer's XML, or throws AWS's error code and message.
    public func call(_ action: String, _ parameters: [(String, String)] = []) throws -> XMLTree {
        let pairs = [("Action", action), ("Version", version)] + parameters
        let body = Data(pairs.map { "\(SigV4.encode($0.0))=\(SigV4.encode($0.1))" }.joined(separator: "&").utf8)
        var request = URLRequest(url: endpoint, timeoutInterval: 30)
        request.httpMethod = "POST"
        request.httpBody = body
        let headers = ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"]
        let signer = SigV4(service: service, region: region, credentials: credentials)
        for (name, value) in headers.merging(signer.sign(method: "POST", url: endpoint, headers: headers, body: body, date: Date()), uniquingKeysWith: { $1 }) {
            request.setValue(value, forHTTPHeaderField: name)
        }
        let response = HTTP.send(request)
        let tree = XMLTree.parse(response.body)
        if let body = response.success, let tree = tree ?? XMLTree.parse(body) { return tree }
        let code = tree?.all("Errors", "Error").first?.value("Code") ?? tree?.value("Error", "Code")
        let message = tree?.all("Errors", "Error").first?.value("Message") ?? tree?.value("Error", "Message")
        if let code {
            throw CloudError("\(service) \(action): \(code): \(message ?? "")")
        }
        throw CloudError("\(service) \(action) at \(endpoint.absoluteString): " + (response.status.map { "HTTP \($0)" } ?? response.error ?? "no answer"))
    }
}

/// An AWS call that failed: one line naming the service, the action and AWS's answer.
public struct CloudError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
