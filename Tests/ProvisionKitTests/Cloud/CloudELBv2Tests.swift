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

/// RegisterTargets, DeregisterTargets and DescribeTargetHealth through the Swift client
/// against moto's ELBv2, with boto3 setting up (and cross-checking) the target group.
final class CloudELBv2Tests: XCTestCase {
    /// One moto for the class (each start costs seconds on a shared machine); a fresh
    /// target group per test.
    nonisolated(unsafe) static var moto: MotoServer?
    nonisolated(unsafe) static var vpc = ""
    nonisolated(unsafe) static var instances: [String] = []
    nonisolated(unsafe) static var setupError: Error?
    var moto: MotoServer { Self.moto! }
    var instances: [String] { Self.instances }
    var arn = ""

    override class func setUp() {
        super.setUp()
        do {
            let moto = try MotoServer()
            self.moto = moto
            let out = try moto.boto("""
                vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
                subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.10.0/24", AvailabilityZone="ap-northeast-1a")["Subnet"]["SubnetId"]
                ami = ec2.describe_images()["Images"][0]["ImageId"]
                ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=ami, MinCount=3, MaxCount=3, SubnetId=subnet)["Instances"]]
                print(json.dumps({"vpc": vpc, "ids": sorted(ids)}))
                """)
            let object = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
            vpc = object?["vpc"] as? String ?? ""
            instances = object?["ids"] as? [String] ?? []
        } catch {
            setupError = error
        }
    }

    override class func tearDown() {
        moto?.stop()
        super.tearDown()
    }

    override func setUpWithError() throws {
        if let error = Self.setupError { throw error }
        XCTAssertEqual(instances.count, 3)
        let name = "web-" + UUID().uuidString.prefix(8).lowercased()
        arn = try moto.boto("""
            tg = elbv2.create_target_group(Name=data["name"], Protocol="HTTP", Port=80, VpcId=data["vpc"], TargetType="instance")
            print(tg["TargetGroups"][0]["TargetGroupArn"])
            """, input: ["name": name, "vpc": Self.vpc]).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(arn.contains(":targetgroup/\(name)/"), arn)
    }

    /// What boto3 sees registered: "id:port" sorted.
    func registeredByBoto() throws -> [String] {
        try moto.boto("""
            h = elbv2.describe_target_health(TargetGroupArn=data["arn"])["TargetHealthDescriptions"]
            print(json.dumps(sorted("%s:%s" % (d["Target"]["Id"], d["Target"]["Port"]) for d in h)))
            """, input: ["arn": arn]).data(using: .utf8).flatMap { try JSONSerialization.jsonObject(with: $0) as? [String] } ?? ["?"]
    }

    func testClientRegistersDescribesAndDeregisters() throws {
        let client = try ELBv2Client(region: ELBv2Client.region(ofTargetGroupARN: arn), environment: moto.environment)
        let (a, b, c) = (instances[0], instances[1], instances[2])
        XCTAssertEqual(try client.describeTargetHealth(of: arn), [])
        try client.registerTargets([ELBv2Target(a), ELBv2Target(b, port: 8080)], in: arn)
        let health = try client.describeTargetHealth(of: arn).sorted { $0.target.id < $1.target.id }
        XCTAssertEqual(health.map(\.target), [ELBv2Target(a, port: 80), ELBv2Target(b, port: 8080)], "the group's port unless given")
        XCTAssertTrue(health.allSatisfy { !$0.state.isEmpty }, "\(health)")
        XCTAssertEqual(try registeredByBoto(), ["\(a):80", "\(b):8080"])
        // Asked for by id, an unregistered target is reported too.
        let asked = try client.describeTargetHealth(of: arn, targets: [ELBv2Target(c)])
        XCTAssertEqual(asked.map(\.target.id), [c])
        XCTAssertNotEqual(asked.first?.state, "healthy", "\(asked)")
        try client.deregisterTargets([ELBv2Target(b, port: 8080)], from: arn)
        XCTAssertEqual(try registeredByBoto(), ["\(a):80"])
        try client.registerTargets([], in: arn)  // nothing to do is not an AWS call with no targets
    }

    func testAWSErrorsNameTheActionAndCode() throws {
        let client = try ELBv2Client(region: "ap-northeast-1", environment: moto.environment)
        let missing = arn.replacingOccurrences(of: ":targetgroup/web-", with: ":targetgroup/nope-")
        XCTAssertThrowsError(try client.describeTargetHealth(of: missing)) { error in
            XCTAssertTrue("\(error)".hasPrefix("elasticloadbalancing DescribeTargetHealth: TargetGroupNotFound"), "\(error)")
            XCTAssertEqual((error as? CloudError)?.code, "TargetGroupNotFound")
        }
    }

    func testTargetGroupWaitsForEachChange() throws {
        let (a, b) = (instances[0], instances[1])
        let group = try ELBv2TargetGroup(arn: arn, timeout: 20, pollInterval: 0.2, environment: moto.environment)
        XCTAssertTrue(group.label.hasPrefix("target group web-"), group.label)
        try group.register([a, b])
        XCTAssertEqual(try group.inService(), [a, b].sorted())
        try group.deregister([a])
        XCTAssertEqual(try group.inService(), [b])
        try group.register([a])
        XCTAssertEqual(try group.inService(), [a, b].sorted())
        XCTAssertEqual(try registeredByBoto(), ["\(a):80", "\(b):80"].sorted())
        XCTAssertThrowsError(try ELBv2TargetGroup(arn: "arn:aws:ec2:ap-northeast-1:1:instance/i-1", environment: moto.environment)) {
            XCTAssertTrue("\($0)".contains("--lb-target-group: 'arn:aws:ec2:ap-northeast-1:1:instance/i-1' is not a target group ARN"), "\($0)")
        }
    }
}
