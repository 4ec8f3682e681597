import XCTest
@testable import ProvisionCore

final class VariableNameTests: XCTestCase {
    func testTheOneRuleAndTheShellsStricterOne() {
        let cases: [(String, valid: Bool, shell: Bool)] = [
            ("db_name", true, true), ("_private", true, true), ("x1", true, true), ("DB_PASSWORD", true, true),
            ("ünï", true, false), ("1x", false, false), ("", false, false), ("a-b", false, false),
            ("a b", false, false), ("a.b", false, false), ("$x", false, false), ("a=b", false, false),
        ]
        for (name, valid, shell) in cases {
            XCTAssertEqual(VariableName.isValid(name), valid, name)
            XCTAssertEqual(VariableName.isShellName(name), shell, name)
        }
    }
}
