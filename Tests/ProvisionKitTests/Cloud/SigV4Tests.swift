import Foundation
import XCTest
@testable import ProvisionKit

/// Signatures compared with botocore's for the same requests, computed at test time.
final class SigV4Tests: XCTestCase {
    struct Case { var method: String; var url: String; var body: String; var token: String? }

    func botocoreHeaders(_ c: Case, service: String, region: String, date: String) -> [String: String] {
        let script = """
            import json, datetime, sys
            from unittest import mock
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials

            """
        let input = ["method": c.method, "url": c.url, "body": c.body, "token": c.token ?? "", "service": service,
                     "region": region, "date": date]
        let json = String(decoding: try! JSONSerialization.data(withJSONObject: input), as: UTF8.self)
        let out = AWSTestTools.python(script + """
            c = json.loads(\(pythonString(json)))
            request = AWSRequest(method=c["method"], url=c["url"], data=c["body"].encode(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
            creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", c["token"] or None)
            when = datetime.datetime.strptime(c["date"], "%Y%m%dT%H%M%SZ")
            with mock.patch("botocore.auth.get_current_datetime", return_value=when):
                SigV4Auth(creds, c["service"], c["region"]).add_auth(request)
            print(json.dumps({k: v for k, v in request.headers.items()}))
            """)
        return (try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: String]) ?? [:]
    }

    func pythonString(_ text: String) -> String { "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'" }

    func testSignaturesMatchBotocore() throws {
        try AWSTestTools.requireVenv()
        let cases = [
            Case(method: "POST", url: "https://ec2.ap-northeast-1.amazonaws.com/",
                 body: "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=aws-and-infra-web", token: nil),
            Case(method: "POST", url: "http://127.0.0.1:5000/",
                 body: "Action=RegisterTargets&Version=2015-12-01&TargetGroupArn=arn%3Aaws%3Aelasticloadbalancing%3Aap-northeast-1%3A123456789012%3Atargetgroup%2Fweb%2F0123", token: "FQoGZXIvYXdzEJr//////////wEaDM+token=="),
            Case(method: "GET", url: "https://ec2.ap-northeast-1.amazonaws.com/some%20path/x?b=2&a=1&c=with%20space&a=0", body: "", token: nil),
        ]
        let date = "20261202T101530Z"
        let when = ISO8601DateFormatter().date(from: "2026-12-02T10:15:30Z")!
        for (service, region) in [("ec2", "ap-northeast-1"), ("elasticloadbalancing", "us-east-1")] {
            for c in cases {
                let expected = botocoreHeaders(c, service: service, region: region, date: date)
                XCTAssertNotNil(expected["Authorization"], "botocore gave no signature for \(c.url)")
                let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                                 sessionToken: c.token)
                let ours = SigV4(service: service, region: region, credentials: credentials)
                    .sign(method: c.method, url: URL(string: c.url)!, headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"],
                          body: Data(c.body.utf8), date: when)
                XCTAssertEqual(ours["Authorization"], expected["Authorization"], "\(service) \(c.method) \(c.url)")
                XCTAssertEqual(ours["X-Amz-Date"], expected["X-Amz-Date"])
                XCTAssertEqual(ours["X-Amz-Security-Token"], expected["X-Amz-Security-Token"])
            }
        }
    }

    func testHMACMatchesRFC4231() {
        // RFC 4231 test case 2.
        let mac = HMAC.sha256(key: Array("Jefe".utf8), "what do ya want for nothing?")
        XCTAssertEqual(SHA256.hexString(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
