import Foundation
import ProvisionCore

/// AWS Signature Version 4 for one request: the headers to add (`Authorization`,
/// `X-Amz-Date`, and `X-Amz-Security-Token` with temporary credentials).
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
public struct SigV4: Sendable {
    public var service: String
    public var region: String
    public var credentials: AWSCredentials

    public init(service: String, region: String, credentials: AWSCredentials) {
        self.service = service
        self.region = region
        self.credentials = credentials
    }

    /// `headers` are the request's own (e.g. Content-Type); `Host` is taken from `url`.
    public func sign(method: String, url: URL, headers: [String: String], body: Data, date: Date) -> [String: String] {
        let (amzDate, day) = Self.timestamps(date)
        var signed = headers
        signed["Host"] = Self.hostHeader(url)
        signed["X-Amz-Date"] = amzDate
        if let token = credentials.sessionToken { signed["X-Amz-Security-Token"] = token.reveal() }
        let canonicalHeaders = signed
            .map { ($0.key.lowercased(), $0.value.trimmingCharacters(in: .whitespaces)) }
            .sorted { $0.0 < $1.0 }
        let signedNames = canonicalHeaders.map(\.0).joined(separator: ";")
        let canonicalRequest = [
            method,
            Self.canonicalPath(url),
            Self.canonicalQuery(url),
            canonicalHeaders.map { "\($0.0):\($0.1)\n" }.joined(),
            signedNames,
            SHA256.hex(body),
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, SHA256.hex(canonicalRequest)].joined(separator: "\n")
        var key = Array("AWS4\(credentials.secretAccessKey.reveal())".utf8)
        for part in [day, region, service, "aws4_request"] { key = HMAC.sha256(key: key, part) }
        let signature = SHA256.hexString(HMAC.sha256(key: key, stringToSign))
        var added = ["X-Amz-Date": amzDate,
                     "Authorization": "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedNames), Signature=\(signature)"]
        if let token = credentials.sessionToken { added["X-Amz-Security-Token"] = token.reveal() }
        return added
    }

    static func timestamps(_ date: Date) -> (String, String) {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let amzDate = formatter.string(from: date)
        return (amzDate, String(amzDate.prefix(8)))
    }

    static func hostHeader(_ url: URL) -> String {
        let host = url.host ?? ""
        guard let port = url.port, !(url.scheme == "https" && port == 443), !(url.scheme == "http" && port == 80) else { return host }
        return "\(host):\(port)"
    }

    /// RFC 3986 unreserved characters stay; everything else is %XX (uppercase).
    public static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var out = ""
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8)
        for byte in text.utf8 {
            if unreserved.contains(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(Character(UnicodeScalar(byte)))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func canonicalPath(_ url: URL) -> String {
        let path = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? "/"
        guard !path.isEmpty else { return "/" }
        // Services other than S3 sign the path as sent, encoded once more (% becomes %25).
        return encode(path, keepSlash: true)
    }

    static func canonicalQuery(_ url: URL) -> String {
        guard let query = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedQuery, !query.isEmpty else { return "" }
        var pairs: [(key: String, value: String)] = []
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                .map { String($0).removingPercentEncoding ?? String($0) }
            pairs.append((encode(parts[0]), encode(parts.count > 1 ? parts[1] : "")))
        }
        pairs.sort { $0.key == $1.key ? $0.value < $1.value : $0.key < $1.key }
        return pairs.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }
}
