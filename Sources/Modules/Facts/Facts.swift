import Foundation
import ProvisionCore

/// What provision knows about a host, gathered in one round trip.
public struct Facts: Sendable, Equatable {
    public enum Distribution: String, Sendable {
        case amazonLinux2 = "Amazon Linux 2"
        case amazonLinux2023 = "Amazon Linux 2023"
        case debian = "Debian"
        case ubuntu = "Ubuntu"
        case other = "Other"
    }

    public enum PackageManager: String, Sendable { case apt, dnf, yum, unknown }
    public enum InitSystem: String, Sendable { case systemd, sysv }

    public var distribution: Distribution
    /// os-release ID and VERSION_ID as the host reports them.
    public var osID: String
    public var osVersion: String
    public var packageManager: PackageManager
    public var initSystem: InitSystem
    public var architecture: String
    public var hostname: String
    /// The default route's interface: address, prefix, netmask, gateway, interface, macaddress.
    public var defaultIPv4: [String: String] = [:]
    /// The login user's environment (HOME, USER, PATH, SHELL, LANG), as Ansible's `ansible_env`.
    public var environment: [String: String] = [:]
    public var kernel = ""
    /// The kernel's name (`uname -s`): Linux.
    public var system = "Linux"
    /// os-release's VERSION_CODENAME (bookworm, jammy); empty where there is none (Amazon Linux).
    public var codename = ""
    public var userID = ""
    public var processorCount: Int?
    public var memoryMB: Int?

    public init(distribution: Distribution, osID: String, osVersion: String, packageManager: PackageManager,
                initSystem: InitSystem, architecture: String, hostname: String) {
        self.distribution = distribution
        self.osID = osID
        self.osVersion = osVersion
        self.packageManager = packageManager
        self.initSystem = initSystem
        self.architecture = architecture
        self.hostname = hostname
    }

    public var isAmazonLinux: Bool { distribution == .amazonLinux2 || distribution == .amazonLinux2023 }

    /// Ansible's family name: RedHat for Amazon Linux, Debian for Debian and Ubuntu.
    public var osFamily: String {
        switch distribution {
        case .amazonLinux2, .amazonLinux2023: return "RedHat"
        case .debian, .ubuntu: return "Debian"
        case .other: return packageManager == .apt ? "Debian" : (packageManager == .unknown ? "Unknown" : "RedHat")
        }
    }

    /// Facts as playbook variables: Ansible's names (and `os_name`). What a playbook derives
    /// from them (the web server's packages, its user) is the playbook's data:
    /// `playbooks/vars/os/`.
    public var variables: [String: Value] {
        let major = osVersion.split(separator: ".").first.map(String.init) ?? osVersion
        return [
            "ansible_os_family": .string(osFamily),
            "ansible_distribution": .string(distribution == .amazonLinux2 || distribution == .amazonLinux2023 ? "Amazon" : (distribution == .other ? osID : distribution.rawValue)),
            "ansible_distribution_version": .string(osVersion),
            "ansible_distribution_major_version": .string(major),
            "ansible_pkg_mgr": .string(packageManager.rawValue),
            "ansible_service_mgr": .string(initSystem == .systemd ? "systemd" : "sysvinit"),
            "ansible_architecture": .string(architecture),
            "ansible_hostname": .string(String(hostname.prefix { $0 != "." })),
            "ansible_nodename": .string(hostname),
            "ansible_fqdn": .string(hostname),
            "ansible_kernel": .string(kernel),
            "ansible_system": .string(system),
            "ansible_machine": .string(architecture),
            // Ansible says NA where os-release has no codename.
            "ansible_distribution_release": .string(codename.isEmpty ? "NA" : codename),
            "ansible_user_id": .string(userID),
            "ansible_processor_vcpus": processorCount.map(Value.int) ?? .null,
            "ansible_memtotal_mb": memoryMB.map(Value.int) ?? .null,
            "ansible_default_ipv4": .dict(defaultIPv4.mapValues(Value.string)),
            "ansible_env": .dict(environment.mapValues(Value.string)),
            "os_name": .string(distribution.rawValue),
        ]
    }
}
