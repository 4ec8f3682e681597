import Foundation

/// `-i 'ec2://ap-northeast-1?tag:Name=aws-and-infra-web'`: the running instances that
/// match EC2 filters, as an inventory. Query keys are EC2 filter names (`tag:KEY`, `vpc-id`,
/// `availability-zone`, …; comma-separated values match any), plus:
///   `address=private`  connect to private IPs (else the public IP, or private when none)
///   `group=NAME`       the group every instance joins (default `web`, what the playbooks target)
///   `user=NAME`        the SSH user (default: from ssh_config, else the current user)
/// Hosts are named by their Name tag (`-i-…` appended where names repeat); groups also by
/// availability zone (`az_ap_northeast_1a`) and by tag (`tag_Role_web`).
public struct EC2InventorySource: Sendable {
    public var region: String
    public var filters: [(name: String, values: [String])]
    public var usePrivateAddress = false
    public var group = "web"
    public var user: String?

    public static let scheme = "ec2://"

    public init(url: String) throws {
        guard url.hasPrefix(Self.scheme), let components = URLComponents(string: url) else {
            throw InputError("not an EC2 inventory URL: \(url)", hint: "write ec2://REGION?tag:Name=VALUE")
        }
        region = components.host ?? ""
        guard region.range(of: "^[a-z]{2}(-[a-z]+)+-[0-9]+$", options: .regularExpression) != nil else {
            throw InputError("EC2 inventory \(url): '\(region)' is not an AWS region", hint: "e.g. ec2://ap-northeast-1?tag:Name=web")
        }
        filters = []
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "address":
                guard ["private", "public"].contains(value) else {
                    throw InputError("EC2 inventory \(url): address must be private or public, not '\(value)'")
                }
                usePrivateAddress = value == "private"
            case "group": group = value
            case "user": user = value
            default:
                guard !item.name.isEmpty, !value.isEmpty else {
                    throw InputError("EC2 inventory \(url): filter '\(item.name)' needs a value", hint: "e.g. tag:Name=web")
                }
                filters.append((item.name, value.split(separator: ",").map(String.init)))
            }
        }
        try InventoryLoader.checkHostName(group, at: SourceLocation(file: url, line: 1))
    }

    /// DescribeInstances with the filters (running instances only), every page.
    public func instances(client: AWSQueryClient) throws -> [EC2Instance] {
        var parameters: [(String, String)] = []
        for (i, filter) in (filters + [("instance-state-name", ["running"])]).enumerated() {
            parameters.append(("Filter.\(i + 1).Name", filter.name))
            for (j, value) in filter.values.enumerated() { parameters.append(("Filter.\(i + 1).Value.\(j + 1)", value)) }
        }
        var found: [EC2Instance] = []
        var token: String?
        repeat {
            let answer = try client.call("DescribeInstances", parameters + (token.map { [("NextToken", $0)] } ?? []))
            found += answer.all("reservationSet", "item", "instancesSet", "item").map(EC2Instance.init)
            token = answer.value("nextToken").flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return found
    }

    public func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Inventory {
        let client = try AWSQueryClient(service: "ec2", endpointPrefix: "ec2", version: "2016-11-15", region: region,
                                        endpointVariable: "AWS_ENDPOINT_URL_EC2",
                                        credentials: try AWSCredentials.resolve(environment: environment), environment: environment)
        return inventory(from: try instances(client: client))
    }

    /// The inventory for these instances (stopped ones are left out here too).
    public func inventory(from instances: [EC2Instance]) -> Inventory {
        var inventory = Inventory(file: Self.scheme + region)
        let running = instances.filter { $0.state == "running" }.sorted { ($0.name ?? $0.id, $0.id) < ($1.name ?? $1.id, $1.id) }
        let counts = Dictionary(running.map { (Self.plain($0.name ?? $0.id), 1) }, uniquingKeysWith: +)
        for instance in running {
            let base = Self.plain(instance.name ?? instance.id)
            let name = counts[base, default: 0] > 1 && base != instance.id ? "\(base)-\(instance.id)" : base
            guard let address = (usePrivateAddress ? instance.privateIP : instance.publicIP ?? instance.privateIP) else { continue }
            var vars: [String: Value] = [
                "ansible_host": .string(address),
                "ec2_instance_id": .string(instance.id),
                "ec2_availability_zone": .string(instance.availabilityZone),
                "ec2_tags": .dict(instance.tags.mapValues(Value.string)),
            ]
            if let ip = instance.privateIP { vars["ec2_private_ip"] = .string(ip) }
            if let ip = instance.publicIP { vars["ec2_public_ip"] = .string(ip) }
            if let vpc = instance.vpcID { vars["ec2_vpc_id"] = .string(vpc) }
            let host = InventoryHost(name: name, address: address, user: user, variables: vars)
            inventory.add(host, toGroup: group)
            if !instance.availabilityZone.isEmpty { inventory.add(host, toGroup: "az_" + Self.plain(instance.availabilityZone, joiner: "_")) }
            for (key, value) in instance.tags.sorted(by: { $0.key < $1.key }) where key != "Name" {
                inventory.add(host, toGroup: "tag_\(Self.plain(key, joiner: "_"))_\(Self.plain(value, joiner: "_"))")
            }
        }
        return inventory
    }

    /// A name safe as a host or group name: letters, digits, `-`, `_`, `.`; others become `joiner`.
    static func plain(_ text: String, joiner: Character = "-") -> String {
        let allowed: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || "_.".contains($0) || ($0 == "-" && joiner == "-")) }
        let mapped = String(text.map { allowed($0) ? $0 : joiner })
        let trimmed = mapped.drop { $0 == joiner || $0 == "-" }
        return trimmed.isEmpty ? "unnamed" : String(trimmed)
    }
}

/// What the inventory needs of one instance in a DescribeInstances answer.
public struct EC2Instance: Sendable, Equatable {
    public var id: String
    public var state: String
    public var privateIP: String?
    public var publicIP: String?
    public var availabilityZone: String
    public var vpcID: String?
    public var tags: [String: String]
    public var name: String? { tags["Name"].flatMap { $0.isEmpty ? nil : $0 } }

    public init(id: String, state: String, privateIP: String?, publicIP: String?, availabilityZone: String,
                vpcID: String?, tags: [String: String]) {
        self.id = id
        self.state = state
        self.privateIP = privateIP
        self.publicIP = publicIP
        self.availabilityZone = availabilityZone
        self.vpcID = vpcID
        self.tags = tags
    }

    init(_ item: XMLTree) {
        func nonEmpty(_ s: String?) -> String? { s.flatMap { $0.isEmpty ? nil : $0 } }
        self.init(id: item.value("instanceId") ?? "", state: item.value("instanceState", "name") ?? "",
                  privateIP: nonEmpty(item.value("privateIpAddress")), publicIP: nonEmpty(item.value("ipAddress")),
                  availabilityZone: item.value("placement", "availabilityZone") ?? "", vpcID: nonEmpty(item.value("vpcId")),
                  tags: Dictionary(item.all("tagSet", "item").map { ($0.value("key") ?? "", $0.value("value") ?? "") },
                                   uniquingKeysWith: { $1 }))
    }
}
