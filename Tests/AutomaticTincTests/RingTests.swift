import XCTest
@testable import AutomaticTinc

final class RingTests: XCTestCase {
    func testSingleNodeConnectsNowhere() {
        XCTAssertEqual(ConnectToRing.choose(names: [], myself: "alpha", count: 3), [])
        XCTAssertEqual(ConnectToRing.choose(names: ["alpha"], myself: "alpha", count: 3), [])
    }

    func testTwoNodesConnectToEachOther() {
        XCTAssertEqual(ConnectToRing.choose(names: ["beta"], myself: "alpha", count: 3), ["beta"])
        XCTAssertEqual(ConnectToRing.choose(names: ["alpha"], myself: "beta", count: 3), ["alpha"])
    }

    func testFiveNodesWrapAround() {
        let names = ["a", "b", "c", "d", "e"]
        XCTAssertEqual(ConnectToRing.choose(names: names, myself: "a", count: 3), ["b", "c", "d"])
        XCTAssertEqual(ConnectToRing.choose(names: names, myself: "d", count: 3), ["e", "a", "b"])
        XCTAssertEqual(ConnectToRing.choose(names: names, myself: "e", count: 2), ["a", "b"])
        XCTAssertEqual(ConnectToRing.choose(names: names, myself: "c", count: 1), ["d"])
        XCTAssertEqual(ConnectToRing.choose(names: names, myself: "c", count: 10), ["d", "e", "a", "b"])
    }

    func testOwnNameAddedWhenMissing() {
        XCTAssertEqual(ConnectToRing.choose(names: ["a", "c", "e"], myself: "d", count: 2), ["e", "a"])
    }

    func testByteOrder() {
        // Upper case sorts before lower case, and '_' between them, as in strcmp.
        XCTAssertEqual(ConnectToRing.choose(names: ["a", "B", "_x"], myself: "B", count: 2), ["_x", "a"])
    }

    func testEveryNodeHasIncomingConnections() {
        let names = (1...7).map { "node\($0)" }
        var incoming: [String: Int] = [:]
        for name in names {
            for peer in ConnectToRing.choose(names: names, myself: name, count: 3) {
                incoming[peer, default: 0] += 1
            }
        }
        XCTAssertEqual(incoming.count, 7)
        XCTAssertTrue(incoming.values.allSatisfy { $0 == 3 })
    }
}
