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
import Engine
import Foundation

enum FuzzOne {
    /// A finding stops the fuzzer with the input saved, as a crash does.
    static func run(_ data: [UInt8]) {
        if let finding = FuzzEntry.feed(data) { fatalError(finding) }
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
