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

/// The signer end to end: moto started with IAM authentication on (after the few unsigned
/// setup calls that create an IAM user and its access key) recomputes every request's
/// SigV4 signature, so a wrong byte in ours is refused.
final class CloudSignatureCheckedByMotoTests: XCTestCase {
    var moto: MotoServer!
    var key: [String: String] = [:]

    override func setUpWithError() throws {
        // create_user, put_user_policy, create_access_key: then everything must be signed.
        moto = try MotoServer(environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"])
        let out = try moto.boto("""
            iam = boto3.client("iam", region_name="us-east-1", endpoint_url="\(moto.url)")
            iam.create_user(UserName="provision")
            iam.put_user_policy(UserName="provision", PolicyName="all", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
            k = iam.create_access_key(UserName="provision")["AccessKey"]
            kw = dict(region_name="ap-northeast-1", endpoint_url="\(moto.url)", aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
            ec2, elbv2 = boto3.client("ec2", **kw), boto3.client("elbv2", **kw)
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.10.0/24", AvailabilityZone="ap-northeast-1a")["Subnet"]["SubnetId"]
            ami = ec2.describe_images()["Images"][0]["ImageId"]
            ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, SubnetId=subnet, PrivateIpAddress="10.0.10.10",
                              TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web 1/α"}]}])
            tg = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance")
            print(json.dumps({"id": k["AccessKeyId"], "secret": k["SecretAccessKey"], "arn": tg["TargetGroups"][0]["TargetGroupArn"]}))
            """)
        key = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: String], out)
    }

    override func tearDown() { moto?.stop() }

    func environment(secret: String? = nil) -> [String: String] {
        moto.environment.merging(["AWS_ACCESS_KEY_ID": key["id"]!, "AWS_SECRET_ACCESS_KEY": secret ?? key["secret"]!]) { $1 }
    }

    func testSignedRequestsAreAcceptedAndWrongOnesRefused() throws {
        // A filter value that needs encoding in the signed body.
        let source = try EC2InventorySource(url: "ec2://ap-northeast-1?tag:Name=web%201/%CE%B1&address=private")
        let found = try source.instances(client: try EC2Client(region: "ap-northeast-1", environment: environment()))
        XCTAssertEqual(found.map(\.privateIP), ["10.0.10.10"])
        XCTAssertEqual(source.inventory(from: found).hosts.map(\.name), ["web-1"], "a Name made safe as a host name")
        XCTAssertThrowsError(try source.instances(client: try EC2Client(region: "ap-northeast-1", environment: environment(secret: "wrong")))) {
            XCTAssertTrue("\($0)".contains("AuthFailure"), "moto checks signatures: \($0)")
        }
        let arn = key["arn"]!
        let elbv2 = try ELBv2Client(region: "ap-northeast-1", environment: environment())
        XCTAssertEqual(try elbv2.describeTargetHealth(of: arn), [])
        let wrong = try ELBv2Client(region: "ap-northeast-1", environment: environment(secret: "wrong"))
        XCTAssertThrowsError(try wrong.describeTargetHealth(of: arn)) {
            XCTAssertTrue("\($0)".contains("SignatureDoesNotMatch"), "\($0)")
        }
        // And through the binary.
        let out = AWSTestTools.run(AWSTestTools.provisionBinary, ["hosts", "-i", "ec2://ap-northeast-1?address=private"], environment: environment())
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("10.0.10.10"), out.stdout)
    }
}
