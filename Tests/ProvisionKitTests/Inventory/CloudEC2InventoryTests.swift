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

/// `-i ec2://…` against moto's server on loopback: instances launched in moto by boto3 at
/// the lab's addresses (several AZs, one stopped, names repeated, one without a Name),
/// found through the `provision` binary and through the Swift API.
final class CloudEC2InventoryTests: XCTestCase {
    /// One moto for the whole class: starting it and launching costs seconds on a shared machine.
    nonisolated(unsafe) static var moto: MotoServer?
    nonisolated(unsafe) static var ids: [String: String] = [:]
    nonisolated(unsafe) static var setupError: Error?

    override class func setUp() {
        super.setUp()
        do {
            let moto = try MotoServer()
            self.moto = moto
            let out = try moto.boto("""
                vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
                def subnet(cidr, az):
                    return ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
                subnet_a, subnet_c, subnet_d = subnet("10.0.10.0/24", "ap-northeast-1a"), subnet("10.0.11.0/24", "ap-northeast-1c"), subnet("10.0.12.0/24", "ap-northeast-1d")
                ec2.modify_subnet_attribute(SubnetId=subnet_d, MapPublicIpOnLaunch={"Value": True})
                ami = ec2.describe_images()["Images"][0]["ImageId"]
                def launch(subnet, ip, **tags):
                    spec = [{"ResourceType": "instance", "Tags": [{"Key": k.replace("__", ":"), "Value": v} for k, v in tags.items()]}]
                    args = {"PrivateIpAddress": ip} if ip else {}
                    r = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, SubnetId=subnet, TagSpecifications=spec, **args)
                    return r["Instances"][0]["InstanceId"]
                ids = {"a": launch(subnet_a, "10.0.10.10", Name="aws-and-infra-web", Role="web"),
                       "c": launch(subnet_c, "10.0.11.10", Name="aws-and-infra-web", Role="web"),
                       "stopped": launch(subnet_a, "10.0.10.20", Name="aws-and-infra-web", Role="web"),
                       "bastion": launch(subnet_d, "10.0.12.30", Name="bastion", Role="bastion"),
                       "unnamed": launch(subnet_c, "10.0.11.40", Role="web", aws__autoscaling__groupName="web-asg"),
                       "vpc": vpc}
                for i in range(6):
                    ids["batch%d" % i] = launch(subnet_d, None, Name="batch", Role="batch")
                ec2.stop_instances(InstanceIds=[ids["stopped"]])
                for i in ec2.describe_instances(InstanceIds=[ids["bastion"]])["Reservations"][0]["Instances"]:
                    ids["bastion_public"] = i["PublicIpAddress"]
                print(json.dumps(ids))
                """)
            ids = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: String] ?? [:]
        } catch {
            setupError = error
        }
    }

    override class func tearDown() {
        moto?.stop()
        super.tearDown()
    }

    var moto: MotoServer { Self.moto! }
    var ids: [String: String] { Self.ids }

    override func setUpWithError() throws {
        if let error = Self.setupError { throw error }
        XCTAssertEqual(ids.count, 13, "\(ids)")
    }

    /// `provision hosts --json` for an inventory: host -> (address, groups).
    func hosts(_ inventory: String, environment extra: [String: String] = [:],
               file: StaticString = #filePath, line: UInt = #line) -> [String: (address: String, groups: Set<String>)] {
        let out = AWSTestTools.run(AWSTestTools.provisionBinary, ["hosts", "--json", "-i", inventory],
                                   environment: moto.environment.merging(extra) { $1 })
        XCTAssertEqual(out.status, 0, out.stderr, file: file, line: line)
        var found: [String: (String, Set<String>)] = [:]
        for line in out.stdout.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let name = object["host"] as? String else { continue }
            found[name] = (object["address"] as? String ?? "", Set(object["groups"] as? [String] ?? []))
        }
        return found
    }

    func testFindsExactlyTheTaggedRunningInstances() throws {
        let a = ids["a"]!, c = ids["c"]!
        let found = hosts("ec2://ap-northeast-1?tag:Name=aws-and-infra-web&address=private")
        // The stopped one is left out; the repeated Name gets the instance id.
        XCTAssertEqual(Set(found.keys), ["aws-and-infra-web-\(a)", "aws-and-infra-web-\(c)"])
        XCTAssertEqual(found["aws-and-infra-web-\(a)"]?.address, "10.0.10.10")
        XCTAssertEqual(found["aws-and-infra-web-\(c)"]?.address, "10.0.11.10")
        XCTAssertEqual(found["aws-and-infra-web-\(a)"]?.groups, ["web", "az_ap_northeast_1a", "tag_Name_aws_and_infra_web", "tag_Role_web"])
        XCTAssertEqual(found["aws-and-infra-web-\(c)"]?.groups, ["web", "az_ap_northeast_1c", "tag_Name_aws_and_infra_web", "tag_Role_web"])
    }

    func testPublicAddressUnlessPrivateIsAskedFor() throws {
        XCTAssertEqual(hosts("ec2://ap-northeast-1?tag:Role=bastion")["bastion"]?.address, ids["bastion_public"])
        XCTAssertEqual(hosts("ec2://ap-northeast-1?tag:Role=bastion&address=private")["bastion"]?.address, "10.0.12.30")
        // Without a public IP, the private one.
        XCTAssertEqual(hosts("ec2://ap-northeast-1?availability-zone=ap-northeast-1a&tag:Role=web").values.map(\.address), ["10.0.10.10"])
    }

    func testFiltersCombineAndNamesStayPlainWhenUnique() throws {
        let one = hosts("ec2://ap-northeast-1?tag:Name=aws-and-infra-web&availability-zone=ap-northeast-1c&address=private&group=frontend")
        XCTAssertEqual(Set(one.keys), ["aws-and-infra-web"])
        XCTAssertEqual(one["aws-and-infra-web"]?.groups.contains("frontend"), true)
        XCTAssertEqual(one["aws-and-infra-web"]?.groups.contains("web"), false, "group= replaces the default group")
        let roles = hosts("ec2://ap-northeast-1?tag:Role=web,bastion&vpc-id=\(ids["vpc"]!)&address=private")
        XCTAssertEqual(Set(roles.keys), ["aws-and-infra-web-\(ids["a"]!)", "aws-and-infra-web-\(ids["c"]!)", "bastion", ids["unnamed"]!])
        // No Name tag: the instance id names the host; tag keys with ':' make plain group names.
        XCTAssertEqual(roles[ids["unnamed"]!]?.groups.contains("tag_aws_autoscaling_groupName_web_asg"), true, "\(roles)")
        let asg = hosts("ec2://ap-northeast-1?tag:aws:autoscaling:groupName=web-asg&address=private")
        XCTAssertEqual(asg.mapValues(\.address).map { "\($0)=\($1)" }, ["\(ids["unnamed"]!)=10.0.11.40"])
        XCTAssertEqual(hosts("ec2://ap-northeast-1?tag:Name=nothing-like-this").count, 0)
    }

    func testHostVariablesAndUserThroughTheSwiftAPI() throws {
        let inventory = try EC2InventorySource(url: "ec2://ap-northeast-1?tag:Role=bastion&user=ec2-user").load(environment: moto.environment)
        let host = try XCTUnwrap(inventory.host(named: "bastion"))
        XCTAssertEqual(host.user, "ec2-user")
        XCTAssertEqual(host.address, ids["bastion_public"])
        XCTAssertEqual(host.variables["ec2_instance_id"], .string(ids["bastion"]!))
        XCTAssertEqual(host.variables["ec2_private_ip"], .string("10.0.12.30"))
        XCTAssertEqual(host.variables["ec2_public_ip"], .string(ids["bastion_public"]!))
        XCTAssertEqual(host.variables["ec2_availability_zone"], .string("ap-northeast-1d"))
        XCTAssertEqual(host.variables["ec2_vpc_id"], .string(ids["vpc"]!))
        XCTAssertEqual(host.variables["ec2_region"], .string("ap-northeast-1"))
        XCTAssertEqual(host.variables["ec2_tags"], .dict(["Name": .string("bastion"), "Role": .string("bastion")]))
        XCTAssertEqual(inventory.hosts(inGroup: "az_ap_northeast_1d"), ["bastion"])
    }

    func testEveryPageIsRead() throws {
        let client = try EC2Client(region: "ap-northeast-1", environment: moto.environment)
        let source = try EC2InventorySource(url: "ec2://ap-northeast-1?tag:Role=batch")
        // moto pages by reservation: 6 of them in pages of 5 need the NextToken loop.
        let found = try source.instances(client: client, pageSize: 5)
        XCTAssertEqual(Set(found.map(\.id)), Set((0..<6).map { ids["batch\($0)"]! }))
        let names = source.inventory(from: found).hosts.map(\.name)
        XCTAssertEqual(names.count, 6)
        XCTAssertTrue(names.allSatisfy { $0.hasPrefix("batch-i-") }, "\(names)")
        // The running filter is always sent: the stopped instance is not even in EC2's answer.
        let all = try client.describeInstances(filters: [EC2Filter("tag:Name", ["aws-and-infra-web"])])
        XCTAssertEqual(all.count, 3)
        XCTAssertEqual(try source.instances(client: client).count, 6)
        XCTAssertEqual(try EC2InventorySource(url: "ec2://ap-northeast-1?tag:Name=aws-and-infra-web").instances(client: client).count, 2)
    }

    func testServiceEndpointVariableWinsOverTheGeneralOne() throws {
        let dead = "http://127.0.0.1:\(MotoServer.freePort())"
        let found = hosts("ec2://ap-northeast-1?tag:Role=bastion", environment: ["AWS_ENDPOINT_URL": dead, "AWS_ENDPOINT_URL_EC2": moto.url])
        XCTAssertEqual(Set(found.keys), ["bastion"])
        let out = AWSTestTools.run(AWSTestTools.provisionBinary, ["hosts", "-i", "ec2://ap-northeast-1?tag:Role=bastion"],
                                   environment: moto.environment.merging(["AWS_ENDPOINT_URL_EC2": dead]) { $1 })
        XCTAssertNotEqual(out.status, 0)
        XCTAssertTrue(out.stderr.contains("ec2 DescribeInstances at \(dead)"), out.stderr)
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
        XCTAssertEqual(found["bastion"]?.groups.contains("bastions"), true, "\(found)")
        let out = AWSTestTools.run(AWSTestTools.provisionBinary, ["hosts", "-i", dir + "/inventory.yml", "bastions"], environment: moto.environment)
        XCTAssertTrue(out.stdout.hasPrefix("bastion\tadmin@10.0.12.30:22\t"), "the group's variables apply to EC2 hosts: \(out.stdout)")
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
        noCredentials["AWS_SECRET_ACCESS_KEY"] = nil
        noCredentials["HOME"] = NSTemporaryDirectory() + "no-aws-\(UUID().uuidString.prefix(6))"
        let missing = AWSTestTools.run(AWSTestTools.provisionBinary, ["hosts", "-i", "ec2://ap-northeast-1?tag:Name=x"], environment: noCredentials)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no AWS credentials found"), missing.stderr)
        XCTAssertFalse((missing.stderr + badFilter.stderr).contains("testing-secret"), "no secret in messages")
    }
}
