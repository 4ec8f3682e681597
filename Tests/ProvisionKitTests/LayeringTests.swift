import Foundation
import XCTest

/// The layering of ARCHITECTURE.md, checked on the sources: each target imports only the
/// layers below it. The build enforces Package.swift's dependencies (scripts/test builds
/// with --explicit-target-dependency-import-check error); this test keeps Package.swift
/// itself from growing a wrong-way dependency.
final class LayeringTests: XCTestCase {
    /// Which of the package's own targets each target may import.
    static let allowed: [String: Set<String>] = [
        "ProvisionCore": ["CCrypto"],
        "Transport": ["ProvisionCore", "CLibSSH2"],
        "Database": ["ProvisionCore", "Transport", "CMySQL"],
        "Cloud": ["ProvisionCore"],
        "Inventory": ["ProvisionCore", "Cloud"],
        "Playbook": ["ProvisionCore"],
        "Modules": ["ProvisionCore", "Playbook", "Transport", "Database"],
        "Engine": ["ProvisionCore", "Playbook", "Inventory", "Transport", "Cloud", "Modules"],
        "provision": ["ProvisionCore", "Playbook", "Inventory", "Transport", "Modules", "Engine"],
        "ProvisionFuzz": ["Engine"],
    ]

    func testEachTargetImportsOnlyTheLayersBelowIt() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")
        let ownTargets = Set(try FileManager.default.contentsOfDirectory(atPath: sources.path))
        XCTAssertEqual(ownTargets.subtracting(["CCrypto", "CLibSSH2", "CMySQL"]), Set(Self.allowed.keys),
                       "a new target needs its place in the layering (here and in ARCHITECTURE.md)")
        var wrong: [String] = []
        for (target, allowed) in Self.allowed {
            let root = sources.appendingPathComponent(target)
            let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let words = line.split(separator: " ")
                    guard let i = words.firstIndex(of: "import"), i + 1 < words.count,
                          words[..<i].allSatisfy({ $0.hasPrefix("@") }) else { continue }
                    let module = String(words[i + 1])
                    if ownTargets.contains(module), module != target, !allowed.contains(module) {
                        wrong.append("\(target)/\(file) imports \(module)")
                    }
                }
            }
        }
        XCTAssertEqual(wrong, [])
    }
}
