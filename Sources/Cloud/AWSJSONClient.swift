import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ProvisionCore

/// An AWS service that speaks the JSON protocol (Secrets Manager): a JSON body POSTed to `/`
/// with the operation in `X-Amz-Target`, signed with SigV4; JSON answers, errors as
/// `{"__type": CODE, "message": …}`. Blocking, retried like `AWSQueryClient`.
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
        var delay = 0.25
        for attempt in 1... {
            do {
                return try callOnce(operation, input)
            } catch let error as CloudError where attempt < attempts && AWSQueryClient.isTransient(error) {
                Thread.sleep(forTimeInterval: delay)
                delay *= 2
            }
        }
        fatalError("unreachable")
    }

    func callOnce(_ operation: String, _ input: [String: Any]) throws -> [String: Any] {
        let body = try JSONSerialization.data(withJSONObject: input, options: [.sortedKeys])
        var request = URLRequest(url: endpoint, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = body
        let headers = ["Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "\(targetPrefix).\(operation)"]
        let signer = SigV4(service: service.signingName, region: region, credentials: credentials)
        for (name, value) in headers.merging(signer.sign(method: "POST", url: endpoint, headers: headers, body: body, date: Date()),
                                             uniquingKeysWith: { $1 }) {
            request.setValue(value, forHTTPHeaderField: name)
        }
        let response = HTTP.send(request)
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        if response.success != nil { return object ?? [:] }
        let what = "\(service.signingName) \(operation)"
        if let type = object?["__type"] as? String {
            // "com.amazonaws…#ResourceNotFoundException" or the bare name.
            let code = String(type.split(separator: "#").last ?? Substring(type))
            let message = object?["message"] as? String ?? object?["Message"] as? String ?? ""
            throw CloudError("\(what): \(code): \(message)", code: code)
        }
        throw CloudError("\(what) at \(endpoint.absoluteString): " + (response.status.map { "HTTP \($0)" } ?? response.error ?? "no answer"),
                         code: response.status.map { "HTTP\($0)" } ?? "NoAnswer")
    }
}
