import Foundation
import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

/// Seeded mutation fuzzing of the playbook/inventory loader and the template engine, in
/// the unit suite (the libFuzzer target `ProvisionFuzz` feeds the same function shape).
///
/// Inputs start from `Corpus/` (the repo's playbooks, inventory example and template, plus
/// edge cases); the first byte picks the target: `I` inventory, `T` template, `C` `when:`
/// condition, anything else a playbook. Each mutated input must load/render or throw an
/// `InputError` — never crash, never throw anything else, never take longer than the bound.
///
/// - Short mode (CI, default): about 20 s. `PROVISION_FUZZ_SECONDS=600` for the long mode,
///   `PROVISION_FUZZ_SEED=N` for another deterministic sequence.
/// - The input being run is written to `$TMPDIR/provision-fuzz-current` first, so a crash
///   leaves its reproducer behind; add it to `regressions` below once fixed.
final class HardeningFuzzTests: XCTestCase {
    /// Inputs that once crashed or hung, kept as regression tests (mode byte first).
    static let regressions: [String] = [
        "T{% for x in items %}{% for x in items %}{{ loop.index }}{% endfor %}{% endfor %}",
        "T{{ 'a' * 99999999999 }}",
        "T{{ items[99999999999999999999] }}",
        "T{{ n // 0 }}{{ n % 0 }}",
        // Found by the fuzzer: these trapped on Double -> Int conversion or ran out of memory.
        "T{{ '1e300' | int }}",
        "T{{ 1e300 | int }}",
        "T{{ 10 ** 30 }}",
        "T{{ (-9223372036854775807 - 1) // -1 }}",
        "T{{ (-9223372036854775807 - 1) % -1 }}",
        "T{{ 'ab' * 9223372036854775807 }}",
        "C" + String(repeating: "(", count: 5000),
        "T" + String(repeating: "{% if flag %}", count: 3000),
        "P- hosts: all\n  tasks:\n    - debug: " + String(repeating: "[", count: 5000),
        "I" + String(repeating: "a:\n ", count: 2000),
        "T{{ " + String(repeating: "not ", count: 5000) + "flag }}",
        "T{{ " + String(repeating: "-", count: 5000) + "1 }}",
        "T{{ " + String(repeating: "[", count: 5000) + " }}",
        "T{{ x" + String(repeating: "[0]", count: 5000) + " }}",
        "T{{ x" + String(repeating: " | upper", count: 5000) + " }}",
        "T{{ 1" + String(repeating: " ~ 1", count: 5000) + " }}",
        "C" + String(repeating: "flag and ", count: 5000) + "flag",
        // Issue 17 item 11: numbers that trapped on conversion, and the other parsers.
        "SHost *\n  ConnectTimeout 3000000\n",
        "SPort 99999999999999999999\n",
        "SConnectTimeout -1\n",
        "K@revoked\n@cert-authority * ssh-ed25519\n|1|||\n[h]:99999999999999999999 ssh-ed25519 AAAA\n",
        "E" + String(repeating: "a: [", count: 2000),
        "A3000000000\n99999999999999999999%\n-e\n@\n{\n",
    ]

    static let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus").path

    static let tokens: [String] = [
        "{{", "}}", "{%", "%}", "{#", "#}", "{% if x %}", "{% endif %}", "{% for i in items %}", "{% endfor %}",
        "{% else %}", "{% elif flag %}", "| default('x')", "| join(',')", "| int", "| php_string", "| quote", "| e",
        "loop.index", "items[0]", "map.k", " is defined", " and ", " or not ", " in ", "~", "==", "(", ")", "[", "]",
        "\n- ", "\n  - ", ": ", "\n    ", "\t", "- hosts: all\n", "  tasks:\n", "      loop: \"{{ items }}\"\n",
        "&anchor ", "*anchor", "!!str ", "!!binary ", "? ", "|\n", ">-\n", "---\n", "...\n", "'", "\"", "\\", "%",
        "children:\n", "hosts:\n", "vars:\n", "import_playbook: x.yml", "\u{0}", "\u{FEFF}", "é", "🔑", "\r\n",
    ]

    struct Budget {
        var seconds: Double
        var seed: UInt64
        var perInput: Double
        static var current: Budget {
            let env = ProcessInfo.processInfo.environment
            return Budget(seconds: env["PROVISION_FUZZ_SECONDS"].flatMap(Double.init) ?? 20,
                          seed: env["PROVISION_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_2026,
                          perInput: env["PROVISION_FUZZ_INPUT_SECONDS"].flatMap(Double.init) ?? 5)
        }
    }

    /// One input, as `ProvisionFuzz` runs it. Returns a finding, or nil.
    static func feed(_ data: [UInt8]) -> String? { FuzzEntry.feed(data) }

    /// Runs `feed` on its own thread (8 MB stack, as the engine's host threads have 4 MB)
    /// and waits at most `seconds`. nil: fine.
    static func feedBounded(_ data: [UInt8], seconds: Double) -> String? {
        let current = NSTemporaryDirectory() + "provision-fuzz-current"
        FileManager.default.createFile(atPath: current, contents: Data(data))
        let done = DispatchSemaphore(value: 0)
        let box = FindingBox()
        let thread = Thread {
            box.value = feed(data)
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        if done.wait(timeout: .now() + seconds) == .timedOut {
            return "took longer than \(seconds) s (input kept in \(current))"
        }
        return box.value
    }

    final class FindingBox: @unchecked Sendable { var value: String? }

    static func corpus() throws -> [[UInt8]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: corpusDirectory).sorted()
        return names.compactMap { FileManager.default.contents(atPath: corpusDirectory + "/" + $0).map { [UInt8]($0) } }
    }

    static func mutate(_ input: [UInt8], corpus: [[UInt8]], rng: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        let rounds = Int.random(in: 1...4, using: &rng)
        for _ in 0..<rounds {
            let body = max(1, bytes.count)
            let at = Int.random(in: 1...body, using: &rng)  // byte 0 picks the target: keep it
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where bytes.count > 1:  // flip a bit
                let i = Int.random(in: 1..<bytes.count, using: &rng)
                bytes[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1:  // insert a YAML or Jinja token
                bytes.insert(contentsOf: Array(tokens.randomElement(using: &rng)!.utf8), at: min(at, bytes.count))
            case 2 where bytes.count > 2:  // truncate
                bytes.removeSubrange(Int.random(in: 1..<bytes.count, using: &rng)...)
            case 3 where bytes.count > 2:  // duplicate a slice
                let start = Int.random(in: 1..<bytes.count, using: &rng)
                let end = min(bytes.count, start + Int.random(in: 1...256, using: &rng))
                bytes.insert(contentsOf: bytes[start..<end], at: min(at, bytes.count))
            case 4 where bytes.count > 2:  // delete a slice
                let start = Int.random(in: 1..<bytes.count, using: &rng)
                bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...64, using: &rng)))
            case 5:  // splice in part of another corpus entry
                let other = corpus.randomElement(using: &rng)!
                guard other.count > 1 else { continue }
                let start = Int.random(in: 1..<other.count, using: &rng)
                bytes.insert(contentsOf: other[start..<min(other.count, start + Int.random(in: 1...512, using: &rng))], at: min(at, bytes.count))
            default:  // a random byte
                bytes.insert(UInt8.random(in: 0...255, using: &rng), at: min(at, bytes.count))
            }
        }
        return bytes.count > 64 << 10 ? Array(bytes.prefix(64 << 10)) : bytes
    }

    func testRegressionInputs() {
        for input in Self.regressions {
            if let finding = Self.feedBounded(Array(input.utf8), seconds: Budget.current.perInput) {
                XCTFail("\(finding): \(input.prefix(120).debugDescription)")
            }
        }
    }

    /// What the fixes for the fuzzer's findings return instead of trapping.
    func testIntegerEdgesRenderOrFailCleanly() throws {
        func render(_ t: String) throws -> String { try TemplateEngine.render(t, variables: FuzzEntry.variables).text }
        XCTAssertEqual(try render("{{ -7 // 2 }} {{ -7 % 2 }} {{ 7 % -2 }} {{ 7 // 2 }} {{ 2 ** 10 }}"), "-4 1 -1 3 1024")
        XCTAssertEqual(try render("{{ 10 ** 30 }}"), "1e+30")
        XCTAssertEqual(try render("{{ '12.9' | int }} {{ -2.5 | int }}"), "12 -2")
        XCTAssertEqual(errorText { try render("{{ '1e300' | int }}") }, "int: '1e300' does not fit an integer")
        XCTAssertEqual(errorText { try render("{{ 'ab' * 9223372036854775807 }}") }, "'*' would make a string of more than 16777216 bytes")
        XCTAssertEqual(errorText { try render("{{ (-9223372036854775807 - 1) // -1 }}") }, "-9223372036854775808 // -1 does not fit an integer")
        // Nesting is bounded (a stack overflow before): 64 levels work, deeper is a syntax error.
        XCTAssertEqual(try render("{{ " + String(repeating: "(", count: 60) + "1" + String(repeating: ")", count: 60) + " }}"), "1")
        XCTAssertEqual(try render(String(repeating: "{% if flag %}", count: 60) + "y" + String(repeating: "{% endif %}", count: 60)), "y")
        XCTAssertEqual(errorText { try render("{{ " + String(repeating: "(", count: 5000) + " }}") },
                       "template syntax error: expression nested too deeply (more than 100 levels) (split it with a variable)")
        XCTAssertEqual(errorText { try render(String(repeating: "{% if flag %}", count: 3000)) },
                       "template syntax error: blocks nested too deeply (more than 64 levels) (close each '{% if %}' and '{% for %}' with its end tag)")
        XCTAssertNotNil(errorText { try render("{{ " + String(repeating: "not ", count: 5000) + "flag }}") })
        XCTAssertNotNil(errorText { try render("{{ " + String(repeating: "- ", count: 5000) + "1 }}") })
        XCTAssertEqual(try render("{{ 1" + String(repeating: " + 1", count: 90) + " }}"), "91")
        XCTAssertNotNil(errorText { try render("{{ 1" + String(repeating: " + 1", count: 5000) + " }}") })
        XCTAssertNotNil(errorText { try render("{{ name" + String(repeating: " | upper", count: 5000) + " }}") })
    }

    func testCorpusLoadsOrFailsCleanly() throws {
        let corpus = try Self.corpus()
        XCTAssertGreaterThanOrEqual(corpus.count, 8, "corpus missing at \(Self.corpusDirectory)")
        for input in corpus {
            XCTAssertNil(Self.feedBounded(input, seconds: Budget.current.perInput), String(decoding: input.prefix(80), as: UTF8.self))
        }
    }

    func testMutatedInputsNeverCrashOrHang() throws {
        let budget = Budget.current
        let corpus = try Self.corpus()
        var rng = SeededGenerator(seed: budget.seed)
        let deadline = Date().addingTimeInterval(budget.seconds)
        var count = 0
        while Date() < deadline {
            let input = Self.mutate(corpus.randomElement(using: &rng)!, corpus: corpus, rng: &rng)
            count += 1
            if let finding = Self.feedBounded(input, seconds: budget.perInput) {
                let path = NSTemporaryDirectory() + "provision-fuzz-finding-\(count)"
                FileManager.default.createFile(atPath: path, contents: Data(input))
                XCTFail("input #\(count) (seed \(budget.seed)): \(finding); saved to \(path)")
                return
            }
        }
        print("fuzz: \(count) inputs in \(Int(budget.seconds)) s, seed \(budget.seed)")
    }
}
