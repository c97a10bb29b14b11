import TincCrypto
import TincPacket
import XCTest

/// Expected bytes computed independently with the OpenSSL 3.0 command line:
///
///     printf '\0\0\0\1' + payload | openssl enc -aes-256-cbc -K 00..1f -iv 20..2f
///     openssl dgst -sha256 -mac HMAC -macopt hexkey:00..2f
final class PacketKnownAnswerTests: XCTestCase {
    let keyMaterial = (0..<48).map { UInt8($0) }
    let payload = ipv4Payload(Array("tinc 1.0.36 packet".utf8))
    let expectedCiphertext = "9c5048e8cb08b2b5aadb74a4b6da429cec1f1e4f9b97a6933fe25313c67d3e3e"
        + "a0d5995aa822981cc28ede077c173209"
    let expectedMAC = "d4accff7"

    func sealFirstPacket() throws -> [UInt8] {
        let key = PacketKey(cipher: .aes256cbc, digest: .sha256, macLength: 4, compression: 0,
                            keyMaterial: keyMaterial)
        return try XCTUnwrap(seal(try PacketSealer(key: key), payload))
    }

    func testDatagramBytes() throws {
        let datagram = try sealFirstPacket()
        XCTAssertEqual(datagram.hex, expectedCiphertext + expectedMAC)
    }

    func testDatagramLength() throws {
        // 4 bytes of seqno and 32 of payload pad to 48, then 4 bytes of MAC.
        let datagram = try sealFirstPacket()
        let padded = (4 + payload.count) / 16 * 16 + 16
        XCTAssertEqual(datagram.count, padded + 4)
    }

    func testFirstBlockHoldsSeqno() throws {
        let datagram = try sealFirstPacket()
        let decryptor = try keyMaterial.withUnsafeBytes { material in
            try CipherContext(algorithm: .aes256cbc, key: UnsafeRawBufferPointer(rebasing: material[..<32]),
                              iv: UnsafeRawBufferPointer(rebasing: material[32...]), encrypt: false)
        }
        // With padding on, OpenSSL holds the last block back, so two blocks in give one block out.
        var firstBlock = [UInt8](repeating: 0, count: 48)
        let length = try Array(datagram[..<32]).withUnsafeBytes { input in
            try firstBlock.withUnsafeMutableBytes { try decryptor.update(input, into: $0) }
        }
        XCTAssertEqual(length, 16)
        XCTAssertEqual(Array(firstBlock[..<4]), [0, 0, 0, 1])
        XCTAssertEqual(Array(firstBlock[4..<16]), Array(payload[..<12]))
    }

    func testOpensKnownDatagram() throws {
        let key = PacketKey(cipher: .aes256cbc, digest: .sha256, macLength: 4, compression: 0,
                            keyMaterial: keyMaterial)
        let opener = try PacketOpener(key: key)
        let opened = try open(opener, [UInt8](hex: expectedCiphertext + expectedMAC)).get()
        XCTAssertEqual(opened.payload, payload)
        XCTAssertEqual(opener.receivedSequenceNumber, 1)
    }
}
