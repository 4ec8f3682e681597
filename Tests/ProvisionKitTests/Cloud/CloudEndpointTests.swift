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

/// Endpoints as the AWS CLI picks them: the service's variable, then AWS_ENDPOINT_URL,
/// else the regional endpoint.
final class CloudEndpointTests: XCTestCase {
    func testOverridesThenRegionalEndpoints() throws {
        XCTAssertEqual(try AWSService.ec2.endpoint(region: "ap-northeast-1", environment: [:]).absoluteString,
                       "https://ec2.ap-northeast-1.amazonaws.com")
        XCTAssertEqual(try AWSService.elasticLoadBalancingV2.endpoint(region: "us-east-1", environment: [:]).absoluteString,
                       "https://elasticloadbalancing.us-east-1.amazonaws.com")
        XCTAssertEqual(try AWSService.ec2.endpoint(region: "cn-north-1", environment: [:]).absoluteString,
                       "https://ec2.cn-north-1.amazonaws.com.cn")
        let env = ["AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_EC2": "http://127.0.0.1:5001",
                   "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2": ""]
        XCTAssertEqual(try AWSService.ec2.endpoint(region: "ap-northeast-1", environment: env).absoluteString, "http://127.0.0.1:5001")
        XCTAssertEqual(try AWSService.elasticLoadBalancingV2.endpoint(region: "ap-northeast-1", environment: env).absoluteString,
                       "http://127.0.0.1:5000", "an empty service variable falls back to AWS_ENDPOINT_URL")
        XCTAssertEqual(try AWSService.ec2.endpoint(region: "ap-northeast-1",
                                                   environment: env.merging(["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"]) { $1 }).absoluteString,
                       "https://ec2.ap-northeast-1.amazonaws.com")
        XCTAssertThrowsError(try AWSService.ec2.endpoint(region: "ap-northeast-1", environment: ["AWS_ENDPOINT_URL_EC2": "localhost:5000"])) {
            XCTAssertTrue("\($0)".contains("AWS_ENDPOINT_URL_EC2 is not an http(s) URL"), "\($0)")
        }
    }

    func testTargetGroupARNs() throws {
        XCTAssertEqual(try ELBv2Client.region(ofTargetGroupARN: "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/web/0123abcd"),
                       "ap-northeast-1")
        for bad in ["web-tg", "arn:aws:ec2:ap-northeast-1:1:instance/i-1", "arn:aws:elasticloadbalancing:ap-northeast-1:1:loadbalancer/app/x/1"] {
            XCTAssertThrowsError(try ELBv2Client.region(ofTargetGroupARN: bad)) {
                XCTAssertTrue("\($0)".contains("is not a target group ARN"), "\($0)")
            }
        }
    }
}
