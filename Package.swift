// swift-tools-version:6.0
import PackageDescription

/// The library layers, lowest first.
let layers = ["ProvisionCore", "Transport", "Database", "Cloud", "Inventory", "Playbook", "Modules", "Engine"]

let package = Package(
    name: "provision",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "provision", targets: ["provision"]),
        .library(name: "ProvisionKit", targets: layers),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // C libraries from Debian: libssh2-1-dev and default-libmysqlclient-dev (MariaDB Connector/C).
        .systemLibrary(
            name: "CLibSSH2", pkgConfig: "libssh2",
            providers: [.apt(["libssh2-1-dev"])]),
        .systemLibrary(
            name: "CMySQL", pkgConfig: "libmariadb",
            providers: [.apt(["default-libmysqlclient-dev"])]),
        // libcrypto (libssl-dev, a dependency of libssh2-1-dev): SHA-256, SHA-1 and HMAC.
        .systemLibrary(
            name: "CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        // Layers, lowest first. Each target imports only the ones below it (see ARCHITECTURE.md):
        // a wrong-way import does not compile.
        .target(
            name: "ProvisionCore",
            dependencies: ["CCrypto", .product(name: "Yams", package: "Yams")],
            // libcrypt (glibc's crypt(3), libxcrypt): SHA-512 password hashes (`password_hash`).
            linkerSettings: [.linkedLibrary("crypt", .when(platforms: [.linux]))]),
        .target(name: "Transport", dependencies: ["ProvisionCore", "CLibSSH2"]),
        .target(name: "Database", dependencies: ["ProvisionCore", "Transport", "CMySQL"]),
        .target(name: "Cloud", dependencies: ["ProvisionCore"]),
        .target(name: "Inventory", dependencies: ["ProvisionCore", "Cloud"]),
        .target(name: "Playbook", dependencies: ["ProvisionCore"]),
        .target(name: "Modules", dependencies: ["ProvisionCore", "Playbook", "Transport", "Database"]),
        .target(
            name: "Engine",
            dependencies: ["ProvisionCore", "Playbook", "Inventory", "Transport", "Cloud", "Modules"]),
        .executableTarget(
            name: "provision",
            dependencies: [
                "ProvisionCore", "Playbook", "Inventory", "Transport", "Modules", "Engine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // libFuzzer target (see its source for the build line); a corpus replayer otherwise.
        .executableTarget(name: "ProvisionFuzz", dependencies: ["Engine"]),
        .testTarget(name: "ProvisionKitTests", dependencies: layers.map { .target(name: $0) }),
        // End-to-end tests against the local lab (scripts/lab); they skip when no lab is up.
        .testTarget(name: "LabTests", dependencies: layers.map { .target(name: $0) }),
    ]
)
