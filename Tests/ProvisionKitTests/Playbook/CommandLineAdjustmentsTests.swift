import Foundation
import XCTest
@testable import Engine
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// `-b` and `--start-at-task` applied to a loaded playbook, and what `--list-*` print of it.
final class CommandLineAdjustmentsTests: XCTestCase {
    let modules = ModuleVocabulary(ModuleRegistry.specs)

    func load(_ text: String) throws -> Playbook { try PlaybookLoader.load(text: text, file: "p.yml", modules: modules) }

    let twoPlays = """
        - name: first
          hosts: db
          tasks:
            - name: create the database
              command: "true"
        - name: second
          hosts: web
          become: false
          tasks:
            - name: packages
              command: "true"
              tags: [packages]
            - name: wp-config.php rendered
              command: "true"
              tags: [config, files]
            - name: site marker
              command: "true"
        """

    func testBecomeByDefaultOnlyWherePlaysSayNothing() throws {
        let book = try load(twoPlays).becomingByDefault()
        XCTAssertEqual(book.plays.map(\.become), [true, false], "a play's own become: false wins over -b")
        XCTAssertEqual(try load(twoPlays).plays.map(\.become), [false, false])
    }

    func testStartAtTaskByNameOrPattern() throws {
        for name in ["wp-config.php rendered", "wp-config*"] {
            let book = try load(twoPlays).startingAt(task: name)
            XCTAssertEqual(book.plays[0].tasks.count, 0, "the play before keeps no task")
            XCTAssertEqual(book.plays[1].tasks.compactMap(\.name), ["wp-config.php rendered", "site marker"], name)
        }
        XCTAssertEqual(try load(twoPlays).startingAt(task: "create the database").plays.map(\.tasks.count), [1, 3])
        XCTAssertThrowsError(try load(twoPlays).startingAt(task: "site markr")) { error in
            XCTAssertEqual("\(error)", "--start-at-task 'site markr': no task has that name (did you mean 'site marker'?)")
        }
    }

    func testListingsInAnsiblesLayout() throws {
        let book = try load(twoPlays)
        let lines = PlaybookListing.lines(of: book, path: "p.yml", hosts: [["db-1"], ["web-1", "web-2"]], parts: [.hosts, .tasks],
                                          tags: ["files", "always"])
        XCTAssertEqual(lines, [
            "", "playbook: p.yml",
            "", "  play #1 (db): first\tTAGS: []", "    pattern: ['db']", "    hosts (1):", "      db-1", "    tasks:",
            "", "  play #2 (web): second\tTAGS: []", "    pattern: ['web']", "    hosts (2):", "      web-1", "      web-2",
            "    tasks:", "      wp-config.php rendered\tTAGS: [config, files]",
        ])
        let tags = PlaybookListing.lines(of: book, path: "p.yml", hosts: [], parts: [.tags])
        XCTAssertEqual(tags.last, "      TASK TAGS: [config, files, packages]")
    }
}
