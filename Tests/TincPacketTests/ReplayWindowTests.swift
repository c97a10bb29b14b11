import TincPacket
import XCTest

/// Replay checks on plain datagrams (no cipher, no MAC), so each test picks its seqnos directly.
final class ReplayWindowTests: XCTestCase {
    func makeOpener(replayWindow: Int = 16) throws -> PacketOpener {
        let key = PacketKey(cipher: nil, digest: nil, macLength: 0, compression: 0, keyMaterial: [0])
        return try PacketOpener(key: key, replayWindow: replayWindow)
    }

    func datagram(_ seqno: UInt32) -> [UInt8] {
        withUnsafeBytes(of: seqno.bigEndian) { Array($0) } + ipv4Payload([1, 2, 3])
    }

    func accepts(_ opener: PacketOpener, _ seqno: UInt32) -> Bool {
        (try? open(opener, datagram(seqno)).get()) != nil
    }

    func error(_ opener: PacketOpener, _ seqno: UInt32) -> OpenError? {
        guard case .failure(let error) = open(opener, datagram(seqno)) else { return nil }
        return error
    }

    func testInOrderAccepted() throws {
        let opener = try makeOpener()
        for seqno in UInt32(1)...300 {
            XCTAssertTrue(accepts(opener, seqno), "seqno \(seqno)")
        }
        XCTAssertEqual(opener.receivedSequenceNumber, 300)
    }

    func testDuplicateRejected() throws {
        let opener = try makeOpener()
        XCTAssertTrue(accepts(opener, 1))
        XCTAssertEqual(error(opener, 1), .replayed(seqno: 1, last: 1))
    }

    func testSeqnoZeroRejected() throws {
        let opener = try makeOpener()
        XCTAssertEqual(error(opener, 0), .replayed(seqno: 0, last: 0))
    }

    func testLatePacketAcceptedOnce() throws {
        let opener = try makeOpener()
        XCTAssertTrue(accepts(opener, 1))
        XCTAssertTrue(accepts(opener, 5))
        XCTAssertTrue(accepts(opener, 3))
        XCTAssertEqual(error(opener, 3), .replayed(seqno: 3, last: 5))
        XCTAssertTrue(accepts(opener, 2))
        XCTAssertTrue(accepts(opener, 4))
        XCTAssertEqual(error(opener, 4), .replayed(seqno: 4, last: 5))
        XCTAssertEqual(opener.receivedSequenceNumber, 5)
    }

    func testLatePacketBehindWindowRejected() throws {
        let opener = try makeOpener()
        for seqno in UInt32(1)...140 where seqno != 5 {
            XCTAssertTrue(accepts(opener, seqno), "seqno \(seqno)")
        }
        // 5 was skipped, but 140 - 128 = 12 is the oldest seqno the window still covers.
        XCTAssertEqual(error(opener, 5), .replayed(seqno: 5, last: 140))
    }

    func testFarFutureDroppedThenAccepted() throws {
        let opener = try makeOpener()
        XCTAssertTrue(accepts(opener, 1))
        // 1 + 16 * 8 = 129 is the first far-future seqno; 16 >> 2 = 4 of them are dropped.
        for attempt in UInt32(1)...4 {
            XCTAssertEqual(error(opener, 200 + attempt), .farFuture(seqno: 200 + attempt))
            XCTAssertEqual(opener.farFutureCount, attempt)
        }
        XCTAssertTrue(accepts(opener, 205))
        XCTAssertEqual(opener.farFutureCount, 0)
        XCTAssertEqual(opener.receivedSequenceNumber, 205)
    }

    func testFarFutureClearsLateBits() throws {
        let opener = try makeOpener()
        XCTAssertTrue(accepts(opener, 1))
        // Marks 2...19 late. The bitmap is a ring of 128 bits, so 386 shares the bit of 2.
        XCTAssertTrue(accepts(opener, 20))
        for seqno in UInt32(500)...503 {
            XCTAssertEqual(error(opener, seqno), .farFuture(seqno: seqno))
        }
        XCTAssertTrue(accepts(opener, 504))
        // Without clearing, the stale bit would let 386 through as a late packet.
        XCTAssertEqual(error(opener, 386), .replayed(seqno: 386, last: 504))
    }

    func testInOrderPacketResetsFarFuture() throws {
        let opener = try makeOpener()
        XCTAssertTrue(accepts(opener, 1))
        XCTAssertEqual(error(opener, 1000), .farFuture(seqno: 1000))
        XCTAssertEqual(error(opener, 1001), .farFuture(seqno: 1001))
        XCTAssertTrue(accepts(opener, 2))
        XCTAssertEqual(opener.farFutureCount, 0)
        for attempt in UInt32(1)...4 {
            XCTAssertEqual(error(opener, 2000 + attempt), .farFuture(seqno: 2000 + attempt))
        }
    }

    func testJustInsideWindowAccepted() throws {
        let opener = try makeOpener()
        XCTAssertTrue(accepts(opener, 1))
        XCTAssertTrue(accepts(opener, 128))
        XCTAssertTrue(accepts(opener, 2))
    }

    func testSmallWindow() throws {
        // 4 bytes cover 32 seqnos, and 4 >> 2 = 1 far-future packet is dropped.
        let opener = try makeOpener(replayWindow: 4)
        XCTAssertTrue(accepts(opener, 1))
        XCTAssertEqual(error(opener, 33), .farFuture(seqno: 33))
        XCTAssertTrue(accepts(opener, 34))
    }

    func testDisabledWindowAcceptsDuplicates() throws {
        let opener = try makeOpener(replayWindow: 0)
        XCTAssertTrue(accepts(opener, 1))
        XCTAssertTrue(accepts(opener, 1))
        XCTAssertTrue(accepts(opener, 100_000))
        XCTAssertTrue(accepts(opener, 2))
        XCTAssertEqual(opener.receivedSequenceNumber, 100_000)
    }

    func testFailedDecompressionUsesSeqno() throws {
        let key = PacketKey(cipher: nil, digest: nil, macLength: 0, compression: 6, keyMaterial: [0])
        let opener = try PacketOpener(key: key)
        XCTAssertEqual(error(opener, 1), .decompressFailed)
        XCTAssertEqual(opener.receivedSequenceNumber, 1)
    }

    func testSeqnoWrapsAround() throws {
        let opener = try makeOpener()
        opener.receivedSequenceNumber = UInt32.max - 1
        XCTAssertTrue(accepts(opener, UInt32.max))
        // received + 1 wraps to 0, so seqno 0 counts as the next one, as in tinc.
        XCTAssertTrue(accepts(opener, 0))
        XCTAssertEqual(opener.receivedSequenceNumber, UInt32.max)
    }
}
