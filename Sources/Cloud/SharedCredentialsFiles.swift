import Foundation
import ProvisionCore

/// `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`) and `~/.aws/config`
/// (`AWS_CONFIG_FILE`) with the profile `AWS_PROFILE` names (else `AWS_DEFAULT_PROFILE`,
/// else `default`). Only static keys: the CLI's SSO and assume-role profiles are not read.
struct SharedCredentialsFiles {
    var profile: String
    /// True when the profile was named, not defaulted: then it must exist.
    var profileNamed: Bool
    var credentialsFile: String
    var configFile: String

    init(environment env: [String: String]) {
        func nonEmpty(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        let named = nonEmpty("AWS_PROFILE") ?? nonEmpty("AWS_DEFAULT_PROFILE")
        profile = named ?? "default"
        profileNamed = named != nil
        let home = nonEmpty("HOME") ?? NSHomeDirectory()
        credentialsFile = nonEmpty("AWS_SHARED_CREDENTIALS_FILE").map(Self.expandTilde(home)) ?? home + "/.aws/credentials"
        configFile = nonEmpty("AWS_CONFIG_FILE").map(Self.expandTilde(home)) ?? home + "/.aws/config"
    }

    /// The profile's keys: the credentials file first, then the config file, as the CLI reads
    /// them. nil when the profile has none (a config file with only `region` is common on
    /// EC2, where the instance role comes next).
    func credentials() throws -> AWSCredentials? {
        var profilesSeen = Set<String>()
        var profileExists = false
        // The config file names its sections `[profile NAME]`, except `[default]`.
        for (file, section) in [(credentialsFile, profile), (configFile, profile == "default" ? "default" : "profile \(profile)")] {
            guard FileManager.default.fileExists(atPath: file) else { continue }
            let sections = try INIFile.parse(path: file)
            profilesSeen.formUnion(sections.keys.map { $0.hasPrefix("profile ") ? String($0.dropFirst(8)) : $0 })
            guard let keys = sections[section] else { continue }
            if let id = keys["aws_access_key_id"], !id.isEmpty, let secret = keys["aws_secret_access_key"], !secret.isEmpty {
                return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: keys["aws_session_token"],
                                      source: "profile \(profile) in \(file)")
            }
            profileExists = true
        }
        // A profile without keys (only `region`, or SSO) lets the chain go on, as in the CLI;
        // one that does not exist at all is a mistake.
        guard profileNamed, !profileExists else { return nil }
        throw InputError("AWS profile '\(profile)' not found in \(credentialsFile) or \(configFile)",
                         hint: Suggestions.hint(for: profile, in: profilesSeen) ?? "check AWS_PROFILE")
    }

    static func expandTilde(_ home: String) -> (String) -> String {
        { $0.hasPrefix("~/") ? home + $0.dropFirst() : $0 }
    }
}

/// `[section]` and `key = value` lines, as in the AWS shared files; `#`/`;` comments.
/// Indented lines (the config file's nested `s3 =` blocks) are skipped.
enum INIFile {
    static func parse(path: String) throws -> [String: [String: String]] {
        do { return parse(try String(contentsOfFile: path, encoding: .utf8)) } catch {
            throw InputError("cannot read \(path): \(error.localizedDescription)")
        }
    }

    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") || raw.first?.isWhitespace == true { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = String(line.dropFirst().dropLast()).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
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
