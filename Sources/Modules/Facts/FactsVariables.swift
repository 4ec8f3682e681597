extension Facts {
    /// The names of the variables facts provide (`ansible_os_family`, `ansible_pkg_mgr`, …).
    public static let variableNames: Set<String> = Set(
        Facts(distribution: .debian, osID: "debian", osVersion: "12", packageManager: .apt, initSystem: .systemd,
              architecture: "x86_64", hostname: "host").variables.keys)
}
