import TincCrypto
import TincPacket
import XCTest

final class PacketRejectionTests: XCTestCase {
    func testFlippedCiphertextBitRejected() throws {
        let (sealer, opener) = try makePair(cipher: "aes-256-cbc", digest: "sha256", macLength: 4)
        var datagram = try XCTUnwrap(seal(sealer, randomPayload(length: 100)))
        datagram[10] ^= 0x01
        XCTAssertThrowsError(try open(opener, datagram).get()) { error in
            XCTAssertEqual(error as? OpenError, .badMAC)
        }
    }

    func testFlippedMACBitRejected() throws {
        let (sealer, opener) = try makePair(cipher: "aes-256-cbc", digest: "sha256", macLength: 4)
        var datagram = try XCTUnwrap(seal(sealer, randomPayload(length: 100)))
        datagram[datagram.count - 1] ^= 0x80
        XCTAssertThrowsError(try open(opener, datagram).get()) { error in
            XCTAssertEqual(error as? OpenError, .badMAC)
        }
    }

    func testOtherKeyRejected() throws {
        let (sealer, _) = try makePair(cipher: "aes-256-cbc", digest: "sha256", macLength: 4)
        let (_, otherOpener) = try makePair(cipher: "aes-256-cbc", digest: "sha256", macLength: 4)
        let datagram = try XCTUnwrap(seal(sealer, randomPayload(length: 100)))
        XCTAssertThrowsError(try open(otherOpener, datagram).get()) { error in
            XCTAssertEqual(error as? OpenError, .badMAC)
        }
    }

    func testShortPacketRejected() throws {
        let (_, opener) = try makePair(cipher: "aes-256-cbc", digest: "sha256", macLength: 4)
        XCTAssertThrowsError(try open(opener, [0, 0, 0, 1, 9, 9, 9]).get()) { error in
            XCTAssertEqual(error as? OpenError, .tooShort)
        }
    }

    func testShortPacketCountsMACLengthWithoutDigest() throws {
        // tinc 1.0.36 adds MACLength to the minimum length even with `Digest = none`.
        let (_, opener) = try makePair(cipher: nil, digest: nil, macLength: 4)
        XCTAssertThrowsError(try open(opener, [0, 0, 0, 1, 9, 9, 9]).get()) { error in
            XCTAssertEqual(error as? OpenError, .tooShort)
        }
        XCTAssertNoThrow(try open(opener, [0, 0, 0, 1, 9, 9, 9, 9]).get())
    }

    func testLongPacketRejected() throws {
        let (_, opener) = try makePair(cipher: nil, digest: nil, macLength: 0)
        let datagram = [0, 0, 0, 1] + [UInt8](repeating: 7, count: PacketLimits.maxDatagram - 3)
        XCTAssertThrowsError(try open(opener, datagram).get()) { error in
            XCTAssertEqual(error as? OpenError, .tooLong)
        }
    }

    func testPartialBlockFailsDecryption() throws {
        let (_, opener) = try makePair(cipher: "aes-256-cbc", digest: nil, macLength: 0)
        XCTAssertThrowsError(try open(opener, [UInt8](repeating: 3, count: 15)).get()) { error in
            XCTAssertEqual(error as? OpenError, .decryptFailed)
        }
    }

    func testGarbageFailsZlib() throws {
        let (_, opener) = try makePair(cipher: nil, digest: nil, macLength: 0, compression: 6)
        XCTAssertThrowsError(try open(opener, [0, 0, 0, 1, 1, 2, 3, 4, 5, 6]).get()) { error in
            XCTAssertEqual(error as? OpenError, .decompressFailed)
        }
    }

    func testGarbageFailsLZO() throws {
        let (_, opener) = try makePair(cipher: nil, digest: nil, macLength: 0, compression: 10)
        XCTAssertThrowsError(try open(opener, [0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]).get()) { error in
            XCTAssertEqual(error as? OpenError, .decompressFailed)
        }
    }

    func testVerifiesMACWithRightKey() throws {
        let (sealer, opener) = try makePair(cipher: "aes-256-cbc", digest: "sha256", macLength: 4)
        let datagram = try XCTUnwrap(seal(sealer, randomPayload(length: 100)))
        XCTAssertTrue(datagram.withUnsafeBytes { opener.verifiesMAC($0) })
        // try_mac does not touch the replay window.
        XCTAssertEqual(opener.receivedSequenceNumber, 0)
    }

    func testVerifiesMACWithWrongKey() throws {
        let (sealer, _) = try makePair(cipher: "aes-256-cbc", digest: "sha256", macLength: 4)
        let (_, otherOpener) = try makePair(cipher: "aes-256-cbc", digest: "sha256", macLength: 4)
        let datagram = try XCTUnwrap(seal(sealer, randomPayload(length: 100)))
        XCTAssertFalse(datagram.withUnsafeBytes { otherOpener.verifiesMAC($0) })
    }

    func testVerifiesMACWithoutDigest() throws {
        let (sealer, opener) = try makePair(cipher: "aes-256-cbc", digest: nil, macLength: 4)
        let datagram = try XCTUnwrap(seal(sealer, randomPayload(length: 100)))
        XCTAssertFalse(datagram.withUnsafeBytes { opener.verifiesMAC($0) })
    }

    func testNoMACWithoutDigest() throws {
        // Without a digest the MAC length is ignored when sealing.
        let (sealer, _) = try makePair(cipher: "aes-256-cbc", digest: nil, macLength: 4)
        let datagram = try XCTUnwrap(seal(sealer, randomPayload(length: 100)))
        XCTAssertEqual(datagram.count, 112)
    }
}
