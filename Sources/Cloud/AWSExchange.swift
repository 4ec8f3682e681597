import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ProvisionCore

/// What every AWS protocol client shares: the POST signed with SigV4, the retries the SDKs'
/// standard mode makes (throttling, 5xx, no answer), and the error for an answer that says
/// nothing. The protocols differ only in their body and how an error is written.
struct AWSExchange: Sendable {
    var service: AWSService
    var region: String
    var endpoint: URL
    var credentials: AWSCredentials
    var timeout: TimeInterval

    /// `call` up to `attempts` times while it fails with a transient error, backing off.
    static func retrying<T>(attempts: Int, _ call: () throws -> T) throws -> T {
        var delay = 0.25
        for attempt in 1... {
            do {
                return try call()
            } catch let error as CloudError where attempt < attempts && isTransient(error) {
                Thread.sleep(forTimeInterval: delay)
                delay *= 2
            }
        }
        fatalError("unreachable")
    }

    static func isTransient(_ error: CloudError) -> Bool {
        guard let code = error.code else { return false }
        return code == "NoAnswer" || code.hasPrefix("HTTP5") || code.contains("Throttl") || code == "RequestLimitExceeded"
            || code == "InternalError" || code == "ServiceUnavailable"
    }

    /// POSTs `body` with `headers`, signed.
    func post(_ body: Data, headers: [String: String]) -> HTTP.Response {
        var request = URLRequest(url: endpoint, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = body
        let signer = SigV4(service: service.signingName, region: region, credentials: credentials)
        for (name, value) in headers.merging(signer.sign(method: "POST", url: endpoint, headers: headers, body: body, date: Date()),
                                             uniquingKeysWith: { $1 }) {
            request.setValue(value, forHTTPHeaderField: name)
        }
        return HTTP.send(request)
    }

    /// The error for a failed answer without AWS's own code: its HTTP status, or none.
    func unexplained(_ response: HTTP.Response, _ what: String) -> CloudError {
        CloudError("\(what) at \(endpoint.absoluteString): " + (response.status.map { "HTTP \($0)" } ?? response.error ?? "no answer"),
                   code: response.status.map { "HTTP\($0)" } ?? "NoAnswer")
    }
}
