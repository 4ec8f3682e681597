import Foundation
import XCTest
@testable import ProvisionKit

/// The credentials chain: environment, shared file with AWS_PROFILE, then IMDSv2 (a small
/// HTTP server here that, like the real one, refuses metadata reads without a session token).
final class AWSCredentialsTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "aws-creds-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
            # comment
            [default]
            aws_access_key_id = AKIDDEFAULT
            aws_secret_access_key = secret-default

            [profile deploy]
            aws_access_key_id=AKIDDEPLOY
            aws_secret_access_key=secret-deploy
            aws_session_token = token-deploy
            """.write(toFile: dir + "/credentials", atomically: true, encoding: .utf8)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    var base: [String: String] { ["AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials", "AWS_EC2_METADATA_DISABLED": "true"] }

    func testEnvironmentThenProfileThenDefault() throws {
        let fromEnv = try AWSCredentials.resolve(environment: base.merging(["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_PROFILE": "deploy"]) { $1 })
        XCTAssertEqual(fromEnv.accessKeyID, "AKIDENV")
        let deploy = try AWSCredentials.resolve(environment: base.merging(["AWS_PROFILE": "deploy"]) { $1 })
        XCTAssertEqual(deploy.accessKeyID, "AKIDDEPLOY")
        XCTAssertEqual(deploy.sessionToken?.reveal(), "token-deploy")
        XCTAssertEqual(try AWSCredentials.resolve(environment: base).accessKeyID, "AKIDDEFAULT")
        XCTAssertEqual("\(deploy.secretAccessKey)", "********", "a secret key never prints")
        XCTAssertThrowsError(try AWSCredentials.resolve(environment: base.merging(["AWS_PROFILE": "deplyo"]) { $1 })) { error in
            XCTAssertTrue("\(error)".contains("AWS profile 'deplyo' has no aws_access_key_id"), "\(error)")
            XCTAssertTrue("\(error)".contains("deploy"), "suggests the near name: \(error)")
        }
    }

    func testInstanceMetadataV2() throws {
        try AWSTestTools.requireVenv()
        let port = MotoServer.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: AWSTestTools.venv + "/bin/python")
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
                    if self.path == "/latest/meta-data/iam/security-credentials/": return self.reply(200, b"web-role")
                    if self.path == "/latest/meta-data/iam/security-credentials/web-role":
                        return self.reply(200, json.dumps({"AccessKeyId": "ASIAROLE", "SecretAccessKey": "role-secret", "Token": "role-token"}).encode())
                    self.reply(404, b"")
            http.server.HTTPServer(("127.0.0.1", \(port)), H).serve_forever()
            """]
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        var environment = ["HOME": dir, "AWS_SHARED_CREDENTIALS_FILE": dir + "/none", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(port)/"]
        var credentials: AWSCredentials?
        for _ in 0..<50 where credentials == nil {
            credentials = try? AWSCredentials.resolve(environment: environment)
            if credentials == nil { usleep(100_000) }
        }
        XCTAssertEqual(credentials?.accessKeyID, "ASIAROLE")
        XCTAssertEqual(credentials?.sessionToken?.reveal(), "role-token")
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        XCTAssertThrowsError(try AWSCredentials.resolve(environment: environment)) {
            XCTAssertTrue("\($0)".contains("no AWS credentials found"), "\($0)")
        }
    }
}
