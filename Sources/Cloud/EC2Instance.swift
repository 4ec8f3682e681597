/// What the inventory needs of one instance in a DescribeInstances answer.
public struct EC2Instance: Sendable, Equatable {
    public var id: String
    /// `pending`, `running`, `stopping`, `stopped`, …
    public var state: String
    public var privateIP: String?
    public var publicIP: String?
    public var availabilityZone: String
    public var vpcID: String?
    public var subnetID: String?
    public var instanceType: String?
    public var tags: [String: String]
    /// The Name tag, when it is set and not empty.
    public var name: String? { tags["Name"].flatMap { $0.isEmpty ? nil : $0 } }

    public init(id: String, state: String, privateIP: String?, publicIP: String?, availabilityZone: String,
                vpcID: String?, subnetID: String? = nil, instanceType: String? = nil, tags: [String: String]) {
        self.id = id
        self.state = state
        self.privateIP = privateIP
        self.publicIP = publicIP
        self.availabilityZone = availabilityZone
        self.vpcID = vpcID
        self.subnetID = subnetID
        self.instanceType = instanceType
        self.tags = tags
    }

    /// One `instancesSet/item` of the answer.
    init(_ item: XMLTree) {
        func nonEmpty(_ path: String...) -> String? {
            var node: XMLTree? = item
            for name in path { node = node?[name] }
            return node.flatMap { $0.text.isEmpty ? nil : $0.text }
        }
        self.init(id: nonEmpty("instanceId") ?? "", state: nonEmpty("instanceState", "name") ?? "",
                  privateIP: nonEmpty("privateIpAddress"), publicIP: nonEmpty("ipAddress"),
                  availabilityZone: nonEmpty("placement", "availabilityZone") ?? "", vpcID: nonEmpty("vpcId"),
                  subnetID: nonEmpty("subnetId"), instanceType: nonEmpty("instanceType"),
                  tags: Dictionary(item.all("tagSet", "item").map { ($0.value("key") ?? "", $0.value("value") ?? "") },
                                   uniquingKeysWith: { $1 }))
    }
}
