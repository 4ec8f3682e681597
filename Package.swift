// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "provision",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "provision", targets: ["provision"]),
        .library(name: "ProvisionKit", targets: ["ProvisionKit"]),
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
        .target(
            name: "ProvisionKit",
            dependencies: [
                "CLibSSH2", "CMySQL", "CCrypto",
                .product(name: "Yams", package: "Yams"),
            ]),
        .executableTarget(
            name: "provision",
            dependencies: [
                "ProvisionKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // libFuzzer target (see its source for the build line); a corpus replayer otherwise.
        .executableTarget(name: "ProvisionFuzz", dependencies: ["ProvisionKit"]),
        .testTarget(name: "ProvisionKitTests", dependencies: ["ProvisionKit"]),
        // End-to-end tests against the local lab (scripts/lab); they skip when no lab is up.
        .testTarget(name: "LabTests", dependencies: ["ProvisionKit"]),
    ]
)
