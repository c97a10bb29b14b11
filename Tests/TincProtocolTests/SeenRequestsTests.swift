import XCTest
import TincProtocol

final class SeenRequestsTests: XCTestCase {
    func testFirstSightingNotSeen() {
        var seen = SeenRequests()
        XCTAssertFalse(seen.seen("12 1 alpha beta 10.0.0.1 655 0 1", now: 100))
    }

    func testRepeatSeen() {
        var seen = SeenRequests()
        _ = seen.seen("13 1 alpha beta", now: 100)
        XCTAssertTrue(seen.seen("13 1 alpha beta", now: 101))
    }

    func testDifferentNonceNotSeen() {
        var seen = SeenRequests()
        _ = seen.seen("13 1 alpha beta", now: 100)
        XCTAssertFalse(seen.seen("13 2 alpha beta", now: 100))
    }

    func testTextAfterNulIgnored() {
        var seen = SeenRequests()
        _ = seen.seen("13 1 alpha beta", now: 100)
        XCTAssertTrue(seen.seen("13 1 alpha beta\0junk", now: 100))
    }

    func testAgeForgetsOldLines() {
        var seen = SeenRequests()
        _ = seen.seen("13 1 alpha beta", now: 100)
        _ = seen.seen("13 2 alpha beta", now: 130)
        XCTAssertEqual(seen.age(now: 160, pingInterval: 60), 1)
        XCTAssertFalse(seen.seen("13 1 alpha beta", now: 160))
        XCTAssertTrue(seen.seen("13 2 alpha beta", now: 160))
    }

    func testAgeKeepsYoungLines() {
        var seen = SeenRequests()
        _ = seen.seen("13 1 alpha beta", now: 100)
        XCTAssertEqual(seen.age(now: 159, pingInterval: 60), 0)
        XCTAssertEqual(seen.count, 1)
    }

    func testCapacityDropsOldest() {
        var seen = SeenRequests(capacity: 2)
        _ = seen.seen("a", now: 1)
        _ = seen.seen("b", now: 2)
        _ = seen.seen("c", now: 3)
        XCTAssertEqual(seen.count, 2)
        XCTAssertTrue(seen.seen("c", now: 4))
        XCTAssertTrue(seen.seen("b", now: 4))
        XCTAssertFalse(seen.seen("a", now: 4))
    }

    func testManyLinesAgeOut() {
        var seen = SeenRequests()
        for index in 0..<5000 {
            _ = seen.seen(Substring("13 \(index) alpha beta"), now: index / 100)
        }
        XCTAssertEqual(seen.age(now: 100, pingInterval: 60), 4100)
        XCTAssertEqual(seen.count, 900)
        XCTAssertTrue(seen.seen("13 4999 alpha beta", now: 100))
        XCTAssertFalse(seen.seen("13 0 alpha beta", now: 100))
    }
}
