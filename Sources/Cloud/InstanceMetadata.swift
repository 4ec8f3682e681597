import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
import ProvisionCore
#endif

/// The EC2 instance metadata service, IMDSv2 only: a session token first (PUT), then the
/// instance role's temporary credentials (GET). Short timeouts: off EC2 nothing answers,
/// and that must not hold up a run by more than a second.
struct InstanceMetadata {
    static let defaultEndpoint = "http://169.254.169.254"
    let base: URL

    /// `endpoint`: `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else the link-local address.
    init(endpoint: String?) throws {
        var text = endpoint ?? Self.defaultEndpoint
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), url.host != nil else {
            throw InputError("AWS_EC2_METADATA_SERVICE_ENDPOINT is not a URL: \(text)")
        }
        base = url
    }

    /// nil when no metadata service answers (not on EC2) or the instance has no role.
    func roleCredentials() throws -> AWSCredentials? {
        var tokenRequest = URLRequest(url: base.appendingPathComponent("latest/api/token"), timeoutInterval: 1)
        tokenRequest.httpMethod = "PUT"
        tokenRequest.setValue("21600", forHTTPHeaderField: "X-aws-ec2-metadata-token-ttl-seconds")
        guard let token = HTTP.send(tokenRequest).success.map({ String(decoding: $0, as: UTF8.self) }), !token.isEmpty else { return nil }
        func get(_ path: String) -> String? {
            var request = URLRequest(url: base.appendingPathComponent(path), timeoutInterval: 2)
            request.setValue(token, forHTTPHeaderField: "X-aws-ec2-metadata-token")
            return HTTP.send(request).success.map { String(decoding: $0, as: UTF8.self) }
        }
        let rolesPath = "latest/meta-data/iam/security-credentials/"
        guard let role = get(rolesPath)?.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }),
              !role.isEmpty, let json = get(rolesPath + role) else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let id = object["AccessKeyId"] as? String, let key = object["SecretAccessKey"] as? String else {
            // The role exists but its credentials are unusable: say so rather than "none found".
            throw CloudError("instance metadata: the credentials of role '\(role)' are not the expected JSON")
        }
        return AWSCredentials(accessKeyID: id, secretAccessKey: key, sessionToken: object["Token"] as? String,
                              source: "instance role \(role)")
    }
}
