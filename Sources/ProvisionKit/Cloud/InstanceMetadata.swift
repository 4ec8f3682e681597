import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The EC2 instance metadata service, IMDSv2 only: a session token first (PUT), then the
/// instance role's temporary credentials. Short timeouts: off EC2 nothing answers.
struct InstanceMetadata {
    let base: URL

    init(endpoint: String?) throws {
        let text = endpoint.flatMap { $0.isEmpty ? nil : $0 } ?? "http://169.254.169.254"
        guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text) else {
            throw InputError("AWS_EC2_METADATA_SERVICE_ENDPOINT is not a URL: \(text)")
        }
        base = url
    }

    /// nil when no metadata service answers (not on EC2) or the instance has no role.
    func roleCredentials() throws -> AWSCredentials? {
        var tokenRequest = URLRequest(url: base.appendingPathComponent("latest/api/token"), timeoutInterval: 1)
        tokenRequest.httpMethod = "PUT"
        tokenRequest.setValue("21600", forHTTPHeaderField: "X-aws-ec2-metadata-token-ttl-seconds")
        guard let token = HTTP.send(tokenRequest).success.map({ String(decoding: $0, as: UTF8.self) }) else { return nil }
        func get(_ path: String) -> String? {
            var request = URLRequest(url: base.appendingPathComponent(path), timeoutInterval: 2)
            request.setValue(token, forHTTPHeaderField: "X-aws-ec2-metadata-token")
            return HTTP.send(request).success.map { String(decoding: $0, as: UTF8.self) }
        }
        guard let role = get("latest/meta-data/iam/security-credentials/")?.split(separator: "\n").first.map(String.init),
              let json = get("latest/meta-data/iam/security-credentials/\(role)"),
              let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let id = object["AccessKeyId"] as? String, let key = object["SecretAccessKey"] as? String else { return nil }
        return AWSCredentials(accessKeyID: id, secretAccessKey: key, sessionToken: object["Token"] as? String)
    }
}
