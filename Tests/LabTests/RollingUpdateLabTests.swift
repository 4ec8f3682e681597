import Foundation
import XCTest

/// Issue 8 on the lab: four web hosts found through moto's EC2 API at their real lab
/// addresses, updated one at a time behind moto's ELBv2 target group. A boto3 poller
/// watches the group during the run; a host whose health check fails stops the rollout.
final class RollingUpdateLabTests: XCTestCase {
    let venv = ProcessInfo.processInfo.environment["PROVISION_VENV"] ?? "/var/tmp/provision-venv"
    var moto: Process?
    var port = 0
    var work = ""
    var launched: [String] = []
    var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": "AKIDTESTING", "AWS_SECRET_ACCESS_KEY": "testing-secret", "AWS_EC2_METADATA_DISABLED": "true",
         "AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)"]
    }

    override func setUpWithError() throws {
        try Lab.require()
        guard FileManager.default.isExecutableFile(atPath: venv + "/bin/moto_server") else {
            XCTFail("no moto in \(venv): run scripts/install-deps"); return
        }
        work = NSTemporaryDirectory() + "rolling-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        port = 20000 + Int.random(in: 0..<20000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: venv + "/bin/moto_server")
        server.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        moto = server
        for _ in 0..<100 where Lab.run("/usr/bin/curl", ["-sf", "-o", "/dev/null", "http://127.0.0.1:\(port)/moto-api/"]).status != 0 {
            usleep(100_000)
        }
        for name in ["web-3", "web-4"] {
            Lab.lab(["destroy", name])
            let out = Lab.lab(["launch", name, "--from", "web-1", "--trust"])
            XCTAssertEqual(out.status, 0, out.all)
            launched.append(name)
        }
        // Any host name: the lab's key and known_hosts (keyed by address) for every host.
        try "Host *\n  User ec2-user\n  IdentityFile \(Lab.directory)/id_ed25519\n  IdentitiesOnly yes\n  UserKnownHostsFile \(Lab.knownHosts)\n"
            .write(toFile: work + "/ssh_config", atomically: true, encoding: .utf8)
    }

    override func tearDown() {
        if let moto, moto.isRunning { moto.terminate(); moto.waitUntilExit() }
        for name in launched { Lab.lab(["destroy", name]) }
        for host in ["web-1", "web-2"] { Lab.ssh(host, "pkill -f 'http[.]server 8080'; rm -rf /var/tmp/rolling; true") }
        try? FileManager.default.removeItem(atPath: work)
    }

    func python(_ script: String) -> Lab.Output {
        Lab.run(venv + "/bin/python", ["-c", """
            import boto3, json, sys, time
            ec2 = boto3.client("ec2", region_name="ap-northeast-1", endpoint_url="http://127.0.0.1:\(port)")
            elbv2 = boto3.client("elbv2", region_name="ap-northeast-1", endpoint_url="http://127.0.0.1:\(port)")
            """ + "\n" + script], environment: environment)
    }

    func address(_ host: String) -> String {
        let line = (try? String(contentsOfFile: Lab.sshConfig, encoding: .utf8))?.components(separatedBy: "Host \(host)\n").dropFirst().first
        return line?.split(separator: "\n").first { $0.contains("HostName") }?.split(separator: " ").last.map(String.init) ?? ""
    }

    func testRollingUpdateKeepsThreeOfFourInServiceAndStopsAtAFailedHealthCheck() throws {
        // The lab's four web hosts as EC2 instances named web-a..web-d, plus one that is stopped.
        let hosts = ["web-1", "web-2", "web-3", "web-4"]
        let addresses = hosts.map(address)
        XCTAssertFalse(addresses.contains(""), "\(addresses)")
        let setup = python("""
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/17", AvailabilityZone="ap-northeast-1a")["Subnet"]["SubnetId"]
            ami = ec2.describe_images()["Images"][0]["ImageId"]
            ids = {}
            for name, ip in zip(["web-a", "web-b", "web-c", "web-d", "web-old"], \(addresses + ["10.0.99.10"])):
                r = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, SubnetId=subnet, PrivateIpAddress=ip,
                    TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}, {"Key": "Role", "Value": "web"}]}])
                ids[name] = r["Instances"][0]["InstanceId"]
            ec2.stop_instances(InstanceIds=[ids["web-old"]])
            tg = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
            elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": ids[n]} for n in ["web-a", "web-b", "web-c", "web-d"]])
            ids["arn"] = tg
            print(json.dumps(ids))
            """)
        XCTAssertEqual(setup.status, 0, setup.stderr)
        let ids = (try JSONSerialization.jsonObject(with: Data(setup.stdout.utf8)) as? [String: String]) ?? [:]
        let arn = ids["arn"] ?? ""

        // A small site on port 8080; a host tagged Health=broken stops serving it.
        let playbook = work + "/rolling.yml"
        try """
            - hosts: web
              tasks:
                - name: page
                  copy: {dest: /var/tmp/rolling/index.html, content: "served by {{ inventory_hostname }}\\n"}
                - name: server running
                  shell: cd /var/tmp/rolling && (setsid python3 -m http.server 8080 >/dev/null 2>&1 < /dev/null &) && touch .started
                  args: {creates: /var/tmp/rolling/.started}
                - name: broken host stops serving
                  shell: pkill -f 'http[.]server 8080'; rm -f /var/tmp/rolling/.started
                  when: (ec2_tags.Health | default('ok')) == 'broken'
            """.write(toFile: playbook, atomically: true, encoding: .utf8)
        for host in hosts { Lab.ssh(host, "pkill -f 'http[.]server 8080'; rm -rf /var/tmp/rolling; mkdir -p /var/tmp/rolling") }

        // The poller: the fewest targets in service while provision runs.
        func rollout() -> (Lab.Output, Int) {
            let stopFile = work + "/stop-\(UUID().uuidString.prefix(6))"
            let poller = Process()
            poller.executableURL = URL(fileURLWithPath: venv + "/bin/python")
            poller.arguments = ["-c", """
                import boto3, os, time
                elbv2 = boto3.client("elbv2", region_name="ap-northeast-1", endpoint_url="http://127.0.0.1:\(port)")
                fewest = 99
                while not os.path.exists("\(stopFile)"):
                    h = elbv2.describe_target_health(TargetGroupArn="\(arn)")["TargetHealthDescriptions"]
                    fewest = min(fewest, sum(1 for d in h if d["TargetHealth"]["State"] not in ("draining", "unused")))
                    time.sleep(0.05)
                print(fewest)
                """]
            poller.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let out = Pipe()
            poller.standardOutput = out
            try? poller.run()
            let run = Lab.provision(["-i", "ec2://ap-northeast-1?tag:Role=web&address=private", "-F", work + "/ssh_config",
                                     "-p", playbook, "--serial", "1", "--lb-target-group", arn,
                                     "--health-check-port", "8080", "--health-check-timeout", "5", "--json"],
                                    environment: environment)
            FileManager.default.createFile(atPath: stopFile, contents: nil)
            poller.waitUntilExit()
            let fewest = Int(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            return (run, fewest)
        }

        let (first, fewest) = rollout()
        XCTAssertEqual(first.status, 0, first.all)
        XCTAssertEqual(fewest, 3, "never fewer than 3 of 4 targets in service:\n\(first.stdout)")
        let rolloutEvents = Lab.jsonLines(first.stdout).filter { $0["event"] as? String == "rollout" }.compactMap { $0["message"] as? String }
        XCTAssertEqual(rolloutEvents.first, "batch 1/4: web-a out of target group web (3 in service)", "\(rolloutEvents)")
        XCTAssertEqual(rolloutEvents.count, 8, "\(rolloutEvents)")
        for address in addresses {
            XCTAssertEqual(Lab.run("/usr/bin/curl", ["-sf", "http://\(address):8080/"]).stdout.hasPrefix("served by web-"), true, address)
        }

        // web-c is broken now: its health check fails, the rollout stops there with exit 2,
        // web-c stays out of the group and web-d is never touched.
        XCTAssertEqual(python("ec2.create_tags(Resources=[\"\(ids["web-c"] ?? "")\"], Tags=[{\"Key\": \"Health\", \"Value\": \"broken\"}])").status, 0)
        let (second, fewestAgain) = rollout()
        XCTAssertEqual(second.status, 2, second.all)
        XCTAssertEqual(fewestAgain, 3, second.stdout)
        let events = Lab.jsonLines(second.stdout)
        let health = events.first { $0["task"] as? String == "health check" }
        XCTAssertEqual(health?["host"] as? String, "web-c")
        XCTAssertTrue((health?["message"] as? String ?? "").contains("did not answer 200 within 5 s"), "\(String(describing: health))")
        let stop = events.compactMap { $0["message"] as? String }.last { $0.hasPrefix("stopped:") }
        XCTAssertEqual(stop, "stopped: web-c failed (1 of 3 hosts, more than --max-fail-percentage 0); web-d not touched and still in service")
        XCTAssertFalse(events.contains { $0["host"] as? String == "web-d" }, "web-d was touched:\n\(second.stdout)")
        let inService = python("""
            h = elbv2.describe_target_health(TargetGroupArn="\(arn)")["TargetHealthDescriptions"]
            print(",".join(sorted(d["Target"]["Id"] for d in h if d["TargetHealth"]["State"] not in ("draining", "unused"))))
            """).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(inService, [ids["web-a"]!, ids["web-b"]!, ids["web-d"]!].sorted().joined(separator: ","))
    }
}
