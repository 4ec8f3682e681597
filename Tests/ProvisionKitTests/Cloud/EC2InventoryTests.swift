import Foundation
import XCTest
@testable import ProvisionKit

/// `-i ec2://…` and the ELBv2 target group against moto's server on loopback: instances
/// launched in moto by boto3 at the lab's addresses, found by the `provision` binary.
final class EC2InventoryTests: XCTestCase {
    var moto: MotoServer!
    var ids: [String: String] = [:]
    var vpc = ""

    override func setUpWithError() throws {
        moto = try MotoServer()
        let out = moto.boto("""
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            subnet_a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.10.0/24", AvailabilityZone="ap-northeast-1a")["Subnet"]["SubnetId"]
            subnet_c = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.11.0/24", AvailabilityZone="ap-northeast-1c")["Subnet"]["SubnetId"]
            ami = ec2.describe_images()["Images"][0]["ImageId"]
            def launch(subnet, ip, name, role):
                tags = [{"Key": "Name", "Value": name}, {"Key": "Role", "Value": role}]
                r = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, SubnetId=subnet, PrivateIpAddress=ip,
                                      TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
                return r["Instances"][0]["InstanceId"]
            ids = {"a": launch(subnet_a, "10.0.10.10", "aws-and-infra-web", "web"),
                   "c": launch(subnet_c, "10.0.11.10", "aws-and-infra-web", "web"),
                   "stopped": launch(subnet_a, "10.0.10.20", "aws-and-infra-web", "web"),
                   "bastion": launch(subnet_a, "10.0.10.30", "bastion", "bastion"),
                   "vpc": vpc}
            ec2.stop_instances(InstanceIds=[ids["stopped"]])
            print(json.dumps(ids))
            """)
        ids = (try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: String]) ?? [:]
        vpc = ids["vpc"] ?? ""
        XCTAssertEqual(ids.count, 5, out)
    }

    override func tearDown() { moto?.stop() }

    /// `provision hosts --json` for an EC2 inventory URL: host -> (address, groups).
    func hosts(_ url: String) -> [String: (address: String, groups: [String])] {
        let out = AWSTestTools.run(AWSTestTools.provisionBinary, ["hosts", "--json", "-i", url], environment: moto.environment)
        XCTAssertEqual(out.status, 0, out.stderr)
        var found: [String: (String, [String])] = [:]
        for line in out.stdout.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let name = object["host"] as? String else { continue }
            found[name] = (object["address"] as? String ?? "", object["groups"] as? [String] ?? [])
        }
        return found
    }

    func testFindsExactlyTheTaggedRunningInstances() throws {
        let a = ids["a"]!, c = ids["c"]!
        let found = hosts("ec2://ap-northeast-1?tag:Name=aws-and-infra-web&address=private")
        // The stopped one and the bastion are left out; the repeated Name gets the instance id.
        XCTAssertEqual(Set(found.keys), ["aws-and-infra-web-\(a)", "aws-and-infra-web-\(c)"])
        XCTAssertEqual(found["aws-and-infra-web-\(a)"]?.address, "10.0.10.10")
        XCTAssertEqual(found["aws-and-infra-web-\(c)"]?.address, "10.0.11.10")
        XCTAssertEqual(Set(found["aws-and-infra-web-\(a)"]?.groups ?? []), ["web", "az_ap_northeast_1a", "tag_Role_web"])
        XCTAssertEqual(Set(found["aws-and-infra-web-\(c)"]?.groups ?? []), ["web", "az_ap_northeast_1c", "tag_Role_web"])
    }

    func testFiltersCombineAndNamesStayPlainWhenUnique() throws {
        let one = hosts("ec2://ap-northeast-1?tag:Name=aws-and-infra-web&availability-zone=ap-northeast-1c&address=private&group=frontend")
        XCTAssertEqual(Set(one.keys), ["aws-and-infra-web"])
        XCTAssertTrue(one["aws-and-infra-web"]?.groups.contains("frontend") ?? false)
        let roles = hosts("ec2://ap-northeast-1?tag:Role=web,bastion&vpc-id=\(vpc)&address=private")
        XCTAssertEqual(roles.count, 3, "\(roles.keys)")
        XCTAssertEqual(roles["bastion"]?.address, "10.0.10.30")
        XCTAssertEqual(hosts("ec2://ap-northeast-1?tag:Name=nothing-like-this").count, 0)
    }

    func testEC2SectionOfAnInventoryFileJoinsItsGroups() throws {
        let dir = NSTemporaryDirectory() + "ec2-inv-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            ec2:
              region: ap-northeast-1
              filters: {tag:Role: bastion}
              address: private
              group: bastions
            all:
              children:
                bastions:
                  vars: {ansible_user: admin}
                web:
                  hosts:
                    static-1: {ansible_host: 192.0.2.10}
            """.write(toFile: dir + "/inventory.yml", atomically: true, encoding: .utf8)
        let found = hosts(dir + "/inventory.yml")
        XCTAssertEqual(Set(found.keys), ["bastion", "static-1"])
        XCTAssertTrue(found["bastion"]?.groups.contains("bastions") ?? false, "\(found)")
        let out = AWSTestTools.run(AWSTestTools.provisionBinary, ["hosts", "-i", dir + "/inventory.yml", "bastions"], environment: moto.environment)
        XCTAssertTrue(out.stdout.hasPrefix("bastion\tadmin@10.0.10.30:22\t"), "the group's variables apply to EC2 hosts: \(out.stdout)")
    }

    func testBadURLsAndAWSErrorsAreClear() {
        let badRegion = AWSTestTools.run(AWSTestTools.provisionBinary, ["hosts", "-i", "ec2://tokyo?tag:Name=x"], environment: moto.environment)
        XCTAssertEqual(badRegion.status, 1)
        XCTAssertTrue(badRegion.stderr.contains("'tokyo' is not an AWS region"), badRegion.stderr)
        let badFilter = AWSTestTools.run(AWSTestTools.provisionBinary, ["hosts", "-i", "ec2://ap-northeast-1?no-such-filter=1"],
                                         environment: moto.environment)
        XCTAssertNotEqual(badFilter.status, 0)
        XCTAssertTrue(badFilter.stderr.contains("ec2 DescribeInstances"), badFilter.stderr)
        var noCredentials = moto.environment
        noCredentials["AWS_ACCESS_KEY_ID"] = nil
        noCredentials["HOME"] = NSTemporaryDirectory()
        let missing = AWSTestTools.run(AWSTestTools.provisionBinary, ["hosts", "-i", "ec2://ap-northeast-1?tag:Name=x"], environment: noCredentials)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no AWS credentials found"), missing.stderr)
    }

    func testTargetGroupDeregisterAndRegister() throws {
        let a = ids["a"]!, c = ids["c"]!
        let arn = moto.boto("""
            tg = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId="\(vpc)", TargetType="instance")
            arn = tg["TargetGroups"][0]["TargetGroupArn"]
            elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "\(a)"}, {"Id": "\(c)"}])
            print(arn)
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        let group = try ELBv2TargetGroup(arn: arn, timeout: 20, pollInterval: 0.2, environment: moto.environment)
        XCTAssertEqual(try group.inService(), [a, c].sorted())
        try group.deregister([a])
        XCTAssertEqual(try group.inService(), [c])
        try group.register([a])
        XCTAssertEqual(try group.inService(), [a, c].sorted())
        // boto3 sees the same group.
        let seen = moto.boto("""
            h = elbv2.describe_target_health(TargetGroupArn="\(arn)")["TargetHealthDescriptions"]
            print(",".join(sorted(d["Target"]["Id"] for d in h)))
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(seen, [a, c].sorted().joined(separator: ","))
        XCTAssertThrowsError(try ELBv2TargetGroup(arn: "arn:aws:ec2:ap-northeast-1:1:instance/i-1", environment: moto.environment)) {
            XCTAssertTrue("\($0)".contains("is not a target group ARN"), "\($0)")
        }
    }
}
