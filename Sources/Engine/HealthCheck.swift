import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
import ProvisionCore
#endif

/// After a host is provisioned and before it goes back behind the load balancer: `GET`
/// its page from the controller until it answers 200 or the timeout passes.
public struct HealthCheck: Sendable {
    public var path = "/"
    public var port = 80
    public var timeout: TimeInterval = 60
    public var interval: TimeInterval = 1

    public init(path: String = "/", port: Int = 80, timeout: TimeInterval = 60) {
        self.path = path.hasPrefix("/") ? path : "/" + path
        self.port = port
        self.timeout = timeout
    }

    public func url(address: String) -> URL? {
        let host = address.contains(":") ? "[\(address)]" : address
        return URL(string: "http://\(host):\(port)\(path)")
    }

    /// nil when healthy; otherwise what the last attempt saw.
    public func failure(address: String) -> String? {
        guard let url = url(address: address) else { return "bad health-check URL for \(address)" }
        let deadline = Date().addingTimeInterval(timeout)
        var last = "no answer"
        repeat {
            let (status, error) = Self.get(url, timeout: min(10, max(1, deadline.timeIntervalSinceNow)))
            if status == 200 { return nil }
            last = status.map { "HTTP \($0)" } ?? error ?? "no answer"
            if Date() < deadline { Thread.sleep(forTimeInterval: min(interval, max(0, deadline.timeIntervalSinceNow))) }
        } while Date() < deadline
        return "GET \(url.absoluteString) did not answer 200 within \(Int(timeout)) s (last: \(last))"
    }

    static func get(_ url: URL, timeout: TimeInterval) -> (Int?, String?) {
        // Redirects are followed: a WordPress not installed yet sends / to its installer (200).
        let response = HTTP.send(URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout))
        return (response.status, response.error)
    }
}
