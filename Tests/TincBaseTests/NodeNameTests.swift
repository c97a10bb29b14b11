import XCTest
import TincBase

final class NodeNameTests: XCTestCase {
    func testNodeNameAcceptsCheckIdNames() {
        for name in ["alice", "node_1", "A1", "_", "ABCdef123"] {
            XCTAssertTrue(NodeName.isValid(name), name)
        }
    }

    func testNodeNameRejectsOtherCharacters() {
        for name in ["", "a-b", "a.b", "a b", "é", "a/b", "../x", "a\u{0}b"] {
            XCTAssertFalse(NodeName.isValid(name), name)
        }
    }

    func testNodeNameSanitize() {
        let cases: [(input: String, expected: String)] = [
            ("my-host.example", "my_host_example"),
            ("host_1", "host_1"),
            ("é", "__"),
            ("a b", "a_b"),
            ("", ""),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(NodeName.sanitize(input), expected, "input \(input)")
        }
    }
}
