import Foundation

/// Credentials for signing, found the way the AWS CLI finds them: the environment, then
/// the shared credentials file (`AWS_PROFILE`, default `default`), then the instance
/// metadata service (IMDSv2) when running on EC2. Secret parts never print.
public struct AWSCredentials: Sendable {
    public var accessKeyID: String
    public var secretAccessKey: Secret
    public var sessionToken: Secret?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = Secret(secretAccessKey)
        self.sessionToken = sessionToken.map(Secret.init)
    }

    public static func resolve(environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> AWSCredentials {
        if let id = env["AWS_ACCESS_KEY_ID"], !id.isEmpty, let key = env["AWS_SECRET_ACCESS_KEY"], !key.isEmpty {
            return AWSCredentials(accessKeyID: id, secretAccessKey: key, sessionToken: env["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
        }
        let profile = env["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let file = env["AWS_SHARED_CREDENTIALS_FILE"] ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.aws/credentials")
        if FileManager.default.fileExists(atPath: file) {
            let sections = try INIFile.parse(path: file)
            if let section = sections[profile], let id = section["aws_access_key_id"], let key = section["aws_secret_access_key"] {
                return AWSCredentials(accessKeyID: id, secretAccessKey: key, sessionToken: section["aws_session_token"])
            }
            if env["AWS_PROFILE"] != nil {
                throw InputError("AWS profile '\(profile)' has no aws_access_key_id/aws_secret_access_key in \(file)",
                                 hint: Suggestions.hint(for: profile, in: Set(sections.keys)) ?? "check AWS_PROFILE")
            }
        }
        if env["AWS_EC2_METADATA_DISABLED"]?.lowercased() != "true",
           let fromInstance = try InstanceMetadata(endpoint: env["AWS_EC2_METADATA_SERVICE_ENDPOINT"]).roleCredentials() {
            return fromInstance
        }
        throw InputError("no AWS credentials found",
                         hint: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials, or run on EC2 with an instance role")
    }
}

/// `[section]` and `key = value` lines, as in ~/.aws/credentials; `#`/`;` comments.
enum INIFile {
    static func parse(path: String) throws -> [String: [String: String]] {
        parse(try String(contentsOfFile: path, encoding: .utf8))
    }

    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                var name = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                if name.hasPrefix("profile ") { name = String(name.dropFirst(8)).trimmingCharacters(in: .whitespaces) }
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
            } else if let current, let eq = line.firstIndex(of: "=") {
                let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
                sections[current]![key] = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return sections
    }
}
