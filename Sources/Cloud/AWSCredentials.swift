import Foundation
import ProvisionCore

/// Credentials for signing, found the way the AWS CLI finds them: the environment, then
/// the shared files with `AWS_PROFILE`, then the instance role through IMDSv2 when running
/// on EC2. The secret parts are `Secret`s: they print as `********`, and so does this.
public struct AWSCredentials: Sendable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: Secret
    public var sessionToken: Secret?
    /// Where they came from, for messages: `environment`, `profile deploy in …`, `instance role web`.
    public var source: String

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, source: String = "given") {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = Secret(secretAccessKey)
        self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : Secret($0) }
        self.source = source
    }

    public var description: String { "AWS credentials \(accessKeyID) (\(source))" }

    /// The first source that has credentials. A source that is asked for explicitly but
    /// broken (half the key pair in the environment, an `AWS_PROFILE` that is not there) is
    /// an error rather than a silent fall-through to the next one.
    public static func resolve(environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> AWSCredentials {
        func nonEmpty(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        switch (nonEmpty("AWS_ACCESS_KEY_ID"), nonEmpty("AWS_SECRET_ACCESS_KEY")) {
        case let (id?, key?):
            return AWSCredentials(accessKeyID: id, secretAccessKey: key, sessionToken: nonEmpty("AWS_SESSION_TOKEN"), source: "environment")
        case (nil, _?):
            throw InputError("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not", hint: "set both, or neither to use a profile")
        case (_?, nil):
            throw InputError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not", hint: "set both, or neither to use a profile")
        case (nil, nil):
            break
        }
        let files = SharedCredentialsFiles(environment: env)
        if let fromProfile = try files.credentials() { return fromProfile }
        if env["AWS_EC2_METADATA_DISABLED"]?.lowercased() != "true",
           let fromInstance = try InstanceMetadata(endpoint: nonEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT")).roleCredentials() {
            return fromInstance
        }
        throw InputError("no AWS credentials found",
                         hint: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with keys in ~/.aws/credentials, or run on EC2 with an instance role; for SSO profiles: eval $(aws configure export-credentials --format env)")
    }
}
