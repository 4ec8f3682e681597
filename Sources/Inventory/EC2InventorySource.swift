import Cloud
import Foundation
import ProvisionCore

/// `-i 'ec2://ap-northeast-1?tag:Name=aws-and-infra-web'`: the running instances that
/// match EC2 filters, as an inventory. Query keys are EC2 filter names (`tag:KEY`, `vpc-id`,
/// `availability-zone`, …; comma-separated values match any), plus:
///   `address=private`  connect to private IPs (else the public IP, or private when none)
///   `group=NAME`       the group every instance joins (default `web`, what the playbooks target)
///   `user=NAME`        the SSH user (default: from ssh_config, else the current user)
/// Hosts are named by their Name tag (`-i-…` appended where names repeat, the instance id
/// when there is none); groups also by availability zone (`az_ap_northeast_1a`) and by tag
/// (`tag_Role_web`), as Ansible's aws_ec2 plugin keys them.
public struct EC2InventorySource: Sendable {
    public var region: String
    /// The user's filters; `instance-state-name=running` is always added to them.
    public var filters: [EC2Filter]
    public var usePrivateAddress = false
    public var group = "web"
    public var user: String?

    public static let scheme = "ec2://"

    public init(region: String, filters: [EC2Filter], usePrivateAddress: Bool = false, group: String = "web", user: String? = nil) throws {
        guard region.range(of: "^[a-z]{2}(-[a-z]+)+-[0-9]+$", options: .regularExpression) != nil else {
            throw InputError("EC2 inventory: '\(region)' is not an AWS region", hint: "e.g. ec2://ap-northeast-1?tag:Name=web")
        }
        try InventoryLoader.checkHostName(group, at: SourceLocation(file: Self.scheme + region, line: 1))
        self.region = region
        self.filters = filters
        self.usePrivateAddress = usePrivateAddress
        self.group = group
        self.user = user
    }

    public init(url: String) throws {
        guard url.hasPrefix(Self.scheme), let components = URLComponents(string: url) else {
            throw InputError("not an EC2 inventory URL: \(url)", hint: "write ec2://REGION?tag:Name=VALUE (percent-encode spaces as %20)")
        }
        let region = components.host ?? ""
        guard region.range(of: "^[a-z]{2}(-[a-z]+)+-[0-9]+$", options: .regularExpression) != nil else {
            throw InputError("EC2 inventory \(url): '\(region)' is not an AWS region", hint: "e.g. ec2://ap-northeast-1?tag:Name=web")
        }
        var filters: [EC2Filter] = []
        var usePrivateAddress = false, group = "web", user: String?
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "address":
                guard ["private", "public"].contains(value) else {
                    throw InputError("EC2 inventory \(url): address must be private or public, not '\(value)'")
                }
                usePrivateAddress = value == "private"
            case "group": group = value
            case "user": user = value.isEmpty ? nil : value
            default:
                guard !item.name.isEmpty, !value.isEmpty else {
                    throw InputError("EC2 inventory \(url): filter '\(item.name)' needs a value", hint: "e.g. tag:Name=web")
                }
                filters.append(EC2Filter(item.name, value.split(separator: ",").map(String.init)))
            }
        }
        try self.init(region: region, filters: filters, usePrivateAddress: usePrivateAddress, group: group, user: user)
    }

    /// The running instances the filters match, every page.
    public func instances(client: EC2Client, pageSize: Int? = nil) throws -> [EC2Instance] {
        try client.describeInstances(filters: filters + [.running], pageSize: pageSize)
    }

    /// Asks EC2 (credentials and endpoint from `environment`) and builds the inventory.
    public func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Inventory {
        inventory(from: try instances(client: try EC2Client(region: region, environment: environment)))
    }

    /// The inventory for these instances. Stopped ones are left out here too, and so are
    /// instances without the address asked for.
    public func inventory(from instances: [EC2Instance]) -> Inventory {
        var inventory = Inventory(file: Self.scheme + region)
        let running = instances.filter { $0.state == "running" }.sorted { ($0.name ?? $0.id, $0.id) < ($1.name ?? $1.id, $1.id) }
        let names = Self.hostNames(running)
        for instance in running {
            guard let address = usePrivateAddress ? instance.privateIP : instance.publicIP ?? instance.privateIP else { continue }
            var host = InventoryHost(name: names[instance.id]!, address: address, user: user, variables: variables(instance, address: address))
            // Tags are written by whoever may tag instances: data, never templates.
            host.dataNames = Set(host.variables.keys)
            inventory.add(host, toGroup: group)
            for name in Self.groups(instance) { inventory.add(host, toGroup: name) }
        }
        return inventory
    }

    /// Instance id -> host name: the Name tag made safe as a host name, with `-i-…` where
    /// two instances would get the same one; the id itself when there is no Name tag.
    static func hostNames(_ instances: [EC2Instance]) -> [String: String] {
        let base = instances.map { ($0.id, $0.name.map { plain($0) } ?? $0.id) }
        let counts = Dictionary(base.map { ($0.1, 1) }, uniquingKeysWith: +)
        return Dictionary(base.map { id, name in (id, counts[name]! > 1 && name != id ? "\(name)-\(id)" : name) },
                          uniquingKeysWith: { first, _ in first })
    }

    /// `az_ap_northeast_1a`, and `tag_KEY_VALUE` for every tag (`tag_KEY` when the value is empty).
    static func groups(_ instance: EC2Instance) -> [String] {
        var groups: [String] = []
        if !instance.availabilityZone.isEmpty { groups.append("az_" + plain(instance.availabilityZone, joiner: "_")) }
        for (key, value) in instance.tags.sorted(by: { $0.key < $1.key }) where !key.isEmpty {
            groups.append("tag_" + plain(key, joiner: "_") + (value.isEmpty ? "" : "_" + plain(value, joiner: "_")))
        }
        return groups
    }

    func variables(_ instance: EC2Instance, address: String) -> [String: Value] {
        var vars: [String: Value] = [
            "ansible_host": .string(address),
            "ec2_instance_id": .string(instance.id),
            "ec2_availability_zone": .string(instance.availabilityZone),
            "ec2_region": .string(region),
            "ec2_tags": .dict(instance.tags.mapValues(Value.string)),
        ]
        let optional: [(String, String?)] = [("ec2_private_ip", instance.privateIP), ("ec2_public_ip", instance.publicIP),
                                             ("ec2_vpc_id", instance.vpcID), ("ec2_subnet_id", instance.subnetID),
                                             ("ec2_instance_type", instance.instanceType)]
        for case let (name, value?) in optional { vars[name] = .string(value) }
        return vars
    }

    /// A name safe as a host or group name: letters, digits, `-`, `_`, `.`; runs of others
    /// become one `joiner` (group names use `_`, so `-` becomes `_` there too), none at the ends.
    static func plain(_ text: String, joiner: Character = "-") -> String {
        let allowed: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || "_.".contains($0) || ($0 == "-" && joiner == "-")) }
        var out = ""
        for character in text {
            if allowed(character) { out.append(character) } else if out.last != joiner { out.append(joiner) }
        }
        let trimmed = out.drop { $0 == joiner || $0 == "-" }.reversed().drop { $0 == joiner }.reversed()
        return trimmed.isEmpty ? "unnamed" : String(trimmed)
    }
}
