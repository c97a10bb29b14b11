import CZlib
import TincCrypto
import TincPacket
import XCTest

final class PacketRoundTripTests: XCTestCase {
    func assertRoundTrip(cipher: String?, digest: String?, macLength: Int, compression: Int = 0,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        let (sealer, opener) = try makePair(cipher: cipher, digest: digest, macLength: macLength,
                                            compression: compression)
        for payload in [compressiblePayload(length: 64), randomPayload(length: 1000),
                        compressiblePayload(length: PacketLimits.mtu), randomPayload(length: PacketLimits.mtu)] {
            let datagram = try XCTUnwrap(seal(sealer, payload), file: file, line: line)
            let opened = try open(opener, datagram).get()
            XCTAssertEqual(opened.payload, payload, "\(payload.count) bytes", file: file, line: line)
        }
        XCTAssertEqual(sealer.sequenceNumber, 4, file: file, line: line)
        XCTAssertEqual(opener.receivedSequenceNumber, 4, file: file, line: line)
    }

    func testAES256CBCWithSHA256() throws {
        try assertRoundTrip(cipher: "aes-256-cbc", digest: "sha256", macLength: 4)
    }

    func testBlowfishWithSHA1() throws {
        try assertRoundTrip(cipher: "bf-cbc", digest: "sha1", macLength: 4)
    }

    func testNoCipherNoDigest() throws {
        try assertRoundTrip(cipher: nil, digest: nil, macLength: 0)
    }

    func testFullLengthMAC() throws {
        try assertRoundTrip(cipher: "aes-256-cbc", digest: "sha256", macLength: 32)
    }

    func testZlibLevels() throws {
        for level in 1...9 {
            try assertRoundTrip(cipher: "aes-256-cbc", digest: "sha256", macLength: 4, compression: level)
        }
    }

    func testLZOLevels() throws {
        try assertRoundTrip(cipher: "aes-256-cbc", digest: "sha256", macLength: 4, compression: 10)
        try assertRoundTrip(cipher: "aes-256-cbc", digest: "sha256", macLength: 4, compression: 11)
    }

    func testCompressionShrinksDatagram() throws {
        let (sealer, _) = try makePair(cipher: nil, digest: nil, macLength: 0, compression: 9)
        let payload = compressiblePayload(length: PacketLimits.mtu)
        let datagram = try XCTUnwrap(seal(sealer, payload))
        XCTAssertLessThan(datagram.count, 200)
    }

    func testZlibMatchesCompress2() throws {
        let payload = compressiblePayload(length: 600)
        for level in 1...9 {
            let (sealer, _) = try makePair(cipher: nil, digest: nil, macLength: 0, compression: level)
            let datagram = try XCTUnwrap(seal(sealer, payload))

            var expected = [UInt8](repeating: 0, count: 2048)
            var expectedLength = UInt(expected.count)
            let status = compress2(&expected, &expectedLength, payload, UInt(payload.count), Int32(level))
            XCTAssertEqual(status, Z_OK)
            XCTAssertEqual(Array(datagram[4...]), Array(expected[..<Int(expectedLength)]), "level \(level)")
        }
    }

    func testUncompressedOriginalLength() throws {
        let (sealer, opener) = try makePair(cipher: "aes-256-cbc", digest: "sha256", macLength: 4)
        let payload = randomPayload(length: 700)
        let opened = try open(opener, XCTUnwrap(seal(sealer, payload))).get()
        XCTAssertEqual(opened.originalLength, 700)
    }

    func testCompressedOriginalLength() throws {
        // tinc subtracts MTU/64 + 20 = 43 from the compressed length for MTU probing.
        let (sealer, opener) = try makePair(cipher: nil, digest: nil, macLength: 0, compression: 10)
        let payload = randomPayload(length: 700)
        let datagram = try XCTUnwrap(seal(sealer, payload))
        let opened = try open(opener, datagram).get()
        XCTAssertEqual(opened.originalLength, datagram.count - 4 - 43)
    }

    func testSequenceNumbersStartAtOne() throws {
        let (sealer, _) = try makePair(cipher: nil, digest: nil, macLength: 0)
        let first = try XCTUnwrap(seal(sealer, compressiblePayload(length: 60)))
        let second = try XCTUnwrap(seal(sealer, compressiblePayload(length: 60)))
        XCTAssertEqual(Array(first[..<4]), [0, 0, 0, 1])
        XCTAssertEqual(Array(second[..<4]), [0, 0, 0, 2])
        XCTAssertEqual(first.count, 64)
    }

    func testEmptyPayload() throws {
        let (sealer, opener) = try makePair(cipher: "aes-256-cbc", digest: "sha256", macLength: 4)
        let datagram = try XCTUnwrap(seal(sealer, []))
        XCTAssertEqual(datagram.count, 16 + 4)
        XCTAssertEqual(try open(opener, datagram).get().payload, [])
    }

    func testOversizedPayloadRefused() throws {
        let (sealer, _) = try makePair(cipher: "aes-256-cbc", digest: "sha256", macLength: 4)
        XCTAssertNil(seal(sealer, randomPayload(length: PacketLimits.maxSize + 1)))
        XCTAssertNil(seal(sealer, randomPayload(length: PacketLimits.maxSize - 20)))
        XCTAssertEqual(sealer.sequenceNumber, 0)
    }

    func testLimits() {
        XCTAssertEqual(PacketLimits.mtu, 1518)
        XCTAssertEqual(PacketLimits.maxSize, 1661)
        XCTAssertEqual(PacketLimits.maxDatagram, 1661)
    }
}
