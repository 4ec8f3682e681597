import Foundation
import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

/// The credentials chain: environment, shared files with AWS_PROFILE, then IMDSv2 (a small
/// HTTP server here that, like the real one, refuses metadata reads without a session token).
final class CloudCredentialsTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "aws-creds-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
            # comment
            [default]
            aws_access_key_id = AKIDDEFAULT
            aws_secret_access_key = secret-default

            [deploy]
            aws_access_key_id=AKIDDEPLOY
            aws_secret_access_key=secret-deploy
            aws_session_token = token-deploy
            ; a profile with only settings
            [regiononly]
            region = ap-northeast-1
            """.write(toFile: dir + "/credentials", atomically: true, encoding: .utf8)
        try """
            [default]
            region = ap-northeast-1
            [profile fromconfig]
            region = ap-northeast-1
            aws_access_key_id = AKIDCONFIG
            aws_secret_access_key = secret-config
              s3 =
                max_concurrent_requests = 4
            """.write(toFile: dir + "/config", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// Files in the temp dir, no instance metadata.
    var base: [String: String] {
        ["HOME": dir, "AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials", "AWS_CONFIG_FILE": dir + "/config",
         "AWS_EC2_METADATA_DISABLED": "true"]
    }

    func resolve(_ extra: [String: String]) throws -> AWSCredentials {
        try AWSCredentials.resolve(environment: base.merging(extra) { $1 })
    }

    func testEnvironmentWinsOverProfiles() throws {
        let fromEnv = try resolve(["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t",
                                   "AWS_PROFILE": "deploy"])
        XCTAssertEqual(fromEnv.accessKeyID, "AKIDENV")
        XCTAssertEqual(fromEnv.sessionToken?.reveal(), "t")
        XCTAssertEqual(fromEnv.source, "environment")
        let noToken = try resolve(["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": ""])
        XCTAssertNil(noToken.sessionToken, "an empty AWS_SESSION_TOKEN is none")
        XCTAssertThrowsError(try resolve(["AWS_ACCESS_KEY_ID": "AKIDENV"])) {
            XCTAssertTrue("\($0)".contains("AWS_SECRET_ACCESS_KEY is not"), "half a key pair is an error, not a fall-through: \($0)")
        }
    }

    func testProfilesFromTheCredentialsAndConfigFiles() throws {
        XCTAssertEqual(try resolve([:]).accessKeyID, "AKIDDEFAULT")
        let deploy = try resolve(["AWS_PROFILE": "deploy"])
        XCTAssertEqual(deploy.accessKeyID, "AKIDDEPLOY")
        XCTAssertEqual(deploy.sessionToken?.reveal(), "token-deploy")
        XCTAssertEqual(deploy.source, "profile deploy in \(dir)/credentials")
        XCTAssertEqual(try resolve(["AWS_DEFAULT_PROFILE": "deploy"]).accessKeyID, "AKIDDEPLOY")
        XCTAssertEqual(try resolve(["AWS_PROFILE": "fromconfig"]).accessKeyID, "AKIDCONFIG", "[profile NAME] of the config file")
        // The default file locations under HOME.
        try FileManager.default.createDirectory(atPath: dir + "/.aws", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir + "/credentials", toPath: dir + "/.aws/credentials")
        XCTAssertEqual(try AWSCredentials.resolve(environment: ["HOME": dir, "AWS_PROFILE": "deploy", "AWS_EC2_METADATA_DISABLED": "true"]).accessKeyID,
                       "AKIDDEPLOY")
        XCTAssertEqual(try resolve(["AWS_SHARED_CREDENTIALS_FILE": "~/.aws/credentials", "AWS_PROFILE": "deploy"]).accessKeyID, "AKIDDEPLOY")
    }

    func testMissingProfilesAreClear() throws {
        XCTAssertThrowsError(try resolve(["AWS_PROFILE": "deplyo"])) { error in
            XCTAssertTrue("\(error)".contains("AWS profile 'deplyo' not found"), "\(error)")
            XCTAssertTrue("\(error)".contains("did you mean 'deploy'"), "suggests the near name: \(error)")
        }
        // A profile with settings only goes on down the chain, as in the AWS CLI.
        XCTAssertThrowsError(try resolve(["AWS_PROFILE": "regiononly"])) {
            XCTAssertTrue("\($0)".contains("no AWS credentials found"), "\($0)")
        }
        XCTAssertThrowsError(try AWSCredentials.resolve(environment: ["HOME": dir + "/nowhere", "AWS_EC2_METADATA_DISABLED": "true"])) {
            XCTAssertTrue("\($0)".contains("no AWS credentials found"), "\($0)")
        }
    }

    func testSecretsNeverPrint() throws {
        let deploy = try resolve(["AWS_PROFILE": "deploy"])
        for text in ["\(deploy)", String(describing: deploy), String(reflecting: deploy), "\(deploy.secretAccessKey)",
                     "\(String(describing: deploy.sessionToken))"] {
            XCTAssertFalse(text.contains("secret-deploy") || text.contains("token-deploy"), text)
        }
        XCTAssertTrue("\(deploy)".contains("AKIDDEPLOY"), "the key id is not secret and helps: \(deploy)")
    }

    func testInstanceMetadataV2() throws {
        let port = MotoServer.freePort()
        let server = Process()
        try AWSTestTools.requireVenv()
        server.executableURL = URL(fileURLWithPath: AWSTestTools.python)
        server.arguments = ["-c", """
            import http.server, json
            class H(http.server.BaseHTTPRequestHandler):
                def log_message(self, *a): pass
                def reply(self, code, body):
                    self.send_response(code); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
                def do_PUT(self):
                    ok = self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
                    self.reply(200 if ok else 400, b"tok-123" if ok else b"")
                def do_GET(self):
                    if self.headers.get("X-aws-ec2-metadata-token") != "tok-123": return self.reply(401, b"")
                    if self.path == "/latest/meta-data/iam/security-credentials/": return self.reply(200, b"web-role\\n")
                    if self.path == "/latest/meta-data/iam/security-credentials/web-role":
                        return self.reply(200, json.dumps({"Code": "Success", "AccessKeyId": "ASIAROLE", "SecretAccessKey": "role-secret",
                                                           "Token": "role-token", "Expiration": "2026-12-02T20:00:00Z"}).encode())
                    self.reply(404, b"")
            http.server.HTTPServer(("127.0.0.1", \(port)), H).serve_forever()
            """]
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        var environment = ["HOME": dir + "/nowhere", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(port)/"]
        var credentials: AWSCredentials?
        for _ in 0..<50 where credentials == nil {
            credentials = try? AWSCredentials.resolve(environment: environment)
            if credentials == nil { usleep(100_000) }
        }
        XCTAssertEqual(credentials?.accessKeyID, "ASIAROLE")
        XCTAssertEqual(credentials?.secretAccessKey.reveal(), "role-secret")
        XCTAssertEqual(credentials?.sessionToken?.reveal(), "role-token")
        XCTAssertEqual(credentials?.source, "instance role web-role")
        // A profile in the files comes before the instance role.
        XCTAssertEqual(try AWSCredentials.resolve(environment: environment.merging(["AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials"]) { $1 }).accessKeyID,
                       "AKIDDEFAULT")
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        XCTAssertThrowsError(try AWSCredentials.resolve(environment: environment)) {
            XCTAssertTrue("\($0)".contains("no AWS credentials found"), "\($0)")
        }
    }

    func testNoMetadataServiceIsQuick() throws {
        // Nothing listens on this port: the chain ends at once, not after SDK-length timeouts.
        let started = Date()
        XCTAssertThrowsError(try AWSCredentials.resolve(environment: ["HOME": dir + "/nowhere",
                                                                     "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(MotoServer.freePort())"]))
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
    }
}
