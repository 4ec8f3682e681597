import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One blocking HTTP exchange on URLSession, for callers on their own threads (the
/// engine's host threads, the AWS clients). Never throws: the result says what happened.
public enum HTTP {
    public struct Response: Sendable {
        public var status: Int?
        public var body: Data
        public var error: String?
        /// The body of a 2xx answer.
        public var success: Data? { (status.map { (200..<300).contains($0) } ?? false) ? body : nil }
    }

    public static func send(_ request: URLRequest) -> Response {
        let done = DispatchSemaphore(value: 0)
        let box = Box()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = request.timeoutInterval
        configuration.connectionProxyDictionary = [:]
        let session = URLSession(configuration: configuration)
        let task = session.dataTask(with: request) { data, response, error in
            box.set(Response(status: (response as? HTTPURLResponse)?.statusCode, body: data ?? Data(),
                             error: error.map { $0.localizedDescription }))
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + request.timeoutInterval + 2) == .timedOut {
            task.cancel()
            box.set(Response(status: nil, body: Data(), error: "no answer within \(Int(request.timeoutInterval)) s"))
        }
        session.finishTasksAndInvalidate()
        return box.get()
    }

    private final class Box: @unchecked Sendable {
        private let lock = NSLock()
        private var value = Response(status: nil, body: Data(), error: "no answer")
        func set(_ response: Response) { lock.lock(); value = response; lock.unlock() }
        func get() -> Response { lock.lock(); defer { lock.unlock() }; return value }
    }
}
