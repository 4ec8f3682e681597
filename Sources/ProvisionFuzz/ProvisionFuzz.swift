// libFuzzer target for the playbook/inventory loader and the template engine.
//
//   swift build -c release --scratch-path .build-fuzz --product ProvisionFuzz \
//       -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING
//   .build-fuzz/release/ProvisionFuzz -max_total_time=600 -timeout=5 -rss_limit_mb=2048 \
//       /tmp/fuzz-corpus Tests/ProvisionKitTests/Hardening/Corpus
//
// Without -DFUZZING (the normal `swift build`) this is a replay tool:
// `ProvisionFuzz FILE...` runs each file once, as a crash reproducer is run.
// The first byte of an input picks what it feeds: I inventory, T template, C `when:`
// condition, anything else a playbook (see Tests/ProvisionKitTests/Hardening/FuzzTests.swift,
// which runs the same inputs in CI).
import Foundation
import ProvisionKit

enum FuzzOne {
    static let variables: [String: Value] = [
        "name": "web-1", "n": 3, "pi": .double(3.5), "flag": true, "empty": "",
        "items": ["a", "b", 3], "map": ["k": "v", "n": 2], "nested": ["l": [1, 2, ["x": "y"]]],
        "secret": .secret(Secret("s3cr3t-value")), "none": .null,
    ]

    /// Feeds one input; anything but success or an `InputError` is a finding.
    static func run(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let text = String(decoding: data.dropFirst(), as: UTF8.self)
        do {
            switch first {
            case UInt8(ascii: "I"):
                let inventory = try InventoryLoader.build(from: try YAMLDocument.loadValue(text: text, file: "inventory.yml"), file: "inventory.yml")
                for host in inventory.hosts { _ = inventory.variables(for: host.name) }
                for group in inventory.groups.keys { _ = try? inventory.resolve(group + ":!" + group) }
            case UInt8(ascii: "T"):
                _ = try? TemplateEngine.references(inTemplate: text)
                _ = try TemplateEngine.render(text, variables: variables, origin: SourceLocation(file: "t.j2", line: 1))
            case UInt8(ascii: "C"):
                _ = try? TemplateEngine.references(inCondition: text)
                _ = try TemplateEngine.evaluateCondition(text, variables: variables)
            default:
                let playbook = try PlaybookLoader.load(text: text, file: "fuzz.yml", baseDirectory: "/nonexistent/fuzz")
                _ = PlaybookValidator.validate(playbook: playbook, knownVariables: Set(variables.keys))
            }
        } catch is InputError {
        } catch {
            fatalError("not an InputError: \(type(of: error)): \(error)")
        }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    FuzzOne.run(Array(UnsafeBufferPointer(start: start, count: count)))
    return 0
}

/// libFuzzer's entry when another `main` exists (SwiftPM gives every executable its own).
/// Pointer arguments only: the Swift and C calling conventions agree on them.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
#endif

@main
struct ProvisionFuzzMain {
    static func main() {
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
        #else
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
                exit(1)
            }
            FuzzOne.run([UInt8](data))
            print("\(path): ok")
        }
        #endif
    }
}
