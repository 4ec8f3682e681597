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

/// Signatures compared with botocore's for the same requests, computed at test time
/// (fixed time and credentials; botocore runs in the venv from scripts/python-deps).
final class CloudSigV4Tests: XCTestCase {
    static let accessKey = "AKIDEXAMPLE"
    static let secretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let contentType = "application/x-www-form-urlencoded; charset=utf-8"
    static let amzDate = "20261202T101530Z"
    static let when = ISO8601DateFormatter().date(from: "2026-12-02T10:15:30Z")!

    /// One request: a URL without query, query parameters given raw (botocore encodes
    /// them itself; we build the URL with `SigV4.encode`), and a body.
    struct Case {
        var name: String
        var method = "POST"
        var url: String
        var query: [(String, String)] = []
        var body = ""
        var token: String?
        var service = "ec2"
        var region = "ap-northeast-1"

        var swiftURL: URL {
            URL(string: query.isEmpty ? url : url + "?" + query.map { "\(SigV4.encode($0.0))=\(SigV4.encode($0.1))" }.joined(separator: "&"))!
        }
        var json: [String: Any] {
            ["name": name, "method": method, "url": url, "query": query.map { [$0.0, $0.1] }, "body": body,
             "token": token ?? "", "service": service, "region": region]
        }
    }

    static let cases: [Case] = [
        Case(name: "DescribeInstances with filters",
             url: "https://ec2.ap-northeast-1.amazonaws.com/",
             body: String(decoding: AWSQueryClient.formBody([("Action", "DescribeInstances"), ("Version", "2016-11-15"),
                                                             ("Filter.1.Name", "tag:Name"), ("Filter.1.Value.1", "aws-and-infra-web"),
                                                             ("Filter.2.Name", "instance-state-name"), ("Filter.2.Value.1", "running")]),
                          as: UTF8.self)),
        Case(name: "RegisterTargets with a session token, moto's port",
             url: "http://127.0.0.1:5000/",
             body: String(decoding: AWSQueryClient.formBody([("Action", "RegisterTargets"), ("Version", "2015-12-01"),
                                                             ("TargetGroupArn", "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123"),
                                                             ("Targets.member.1.Id", "i-0abc"), ("Targets.member.1.Port", "8080")]),
                          as: UTF8.self),
             token: "FQoGZXIvYXdzEJr//////////wEaDM+token==", service: "elasticloadbalancing", region: "us-east-1"),
        Case(name: "GET with a query needing encoding",
             method: "GET", url: "https://ec2.ap-northeast-1.amazonaws.com/",
             query: [("Filter.1.Name", "tag:Name"), ("Filter.1.Value.1", "web server/α"), ("b", "2"), ("a", "1"), ("a", "0"),
                     ("tilde~", "x*y+z=w&v%u"), ("empty", ""), ("Action", "DescribeInstances")]),
        Case(name: "GET with query and session token, path needing encoding",
             method: "GET", url: "https://elasticloadbalancing.eu-west-1.amazonaws.com/some%20path/x",
             query: [("TargetGroupArn", "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/web/ab"), ("Version", "2015-12-01")],
             token: "token with spaces/and+plus", service: "elasticloadbalancing", region: "eu-west-1"),
    ]

    /// botocore's headers for every case, in one Python run.
    func botocoreHeaders(_ cases: [Case]) throws -> [[String: String]] {
        let out = try AWSTestTools.python("""
            import json, sys, datetime
            from unittest import mock
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            data = json.loads(sys.argv[1])
            when = datetime.datetime.strptime(data["date"], "%Y%m%dT%H%M%SZ")
            answers = []
            for c in data["cases"]:
                request = AWSRequest(method=c["method"], url=c["url"], data=c["body"].encode(),
                                     params=[tuple(p) for p in c["query"]], headers={"Content-Type": data["contentType"]})
                creds = Credentials(data["accessKey"], data["secretKey"], c["token"] or None)
                with mock.patch("botocore.auth.get_current_datetime", return_value=when):
                    SigV4Auth(creds, c["service"], c["region"]).add_auth(request)
                answers.append(dict(request.headers.items()))
            print(json.dumps(answers))
            """, input: ["cases": cases.map(\.json), "date": Self.amzDate, "accessKey": Self.accessKey, "secretKey": Self.secretKey,
                         "contentType": Self.contentType])
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: String]], out)
    }

    func ours(_ c: Case, secretKey: String = secretKey) -> [String: String] {
        let credentials = AWSCredentials(accessKeyID: Self.accessKey, secretAccessKey: secretKey, sessionToken: c.token)
        return SigV4(service: c.service, region: c.region, credentials: credentials)
            .sign(method: c.method, url: c.swiftURL, headers: ["Content-Type": Self.contentType], body: Data(c.body.utf8), date: Self.when)
    }

    func testSignaturesMatchBotocore() throws {
        let expected = try botocoreHeaders(Self.cases)
        XCTAssertEqual(expected.count, Self.cases.count)
        for (c, botocore) in zip(Self.cases, expected) {
            let signature = try XCTUnwrap(botocore["Authorization"], "botocore gave no signature for \(c.name)")
            XCTAssertTrue(signature.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/\(c.region)/\(c.service)/aws4_request"), signature)
            let mine = ours(c)
            XCTAssertEqual(mine["Authorization"], signature, c.name)
            XCTAssertEqual(mine["X-Amz-Date"], botocore["X-Amz-Date"], c.name)
            XCTAssertEqual(mine["X-Amz-Security-Token"], botocore["X-Amz-Security-Token"], c.name)
            // The comparison can fail: another secret gives another signature.
            XCTAssertNotEqual(ours(c, secretKey: "another-secret")["Authorization"], signature, c.name)
            XCTAssertFalse(mine.values.contains { $0.contains(Self.secretKey) }, "the secret key is never sent")
        }
    }

    func testHMACMatchesRFC4231() {
        // RFC 4231 test cases 2 (short key) and 6 (key longer than a block).
        XCTAssertEqual(SHA256.hexString(HMAC.sha256(key: Array("Jefe".utf8), "what do ya want for nothing?")),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertEqual(SHA256.hexString(HMAC.sha256(key: [UInt8](repeating: 0xaa, count: 131),
                                                    "Test Using Larger Than Block-Size Key - Hash Key First")),
                       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }
}
