import TincCrypto
import TincPacket
import XCTest

final class PacketKeyTests: XCTestCase {
    let aesKeyHex = String(repeating: "0123456789ABCDEF", count: 6)

    func announce(cipher: Int32 = 427, digest: Int32 = 672, macLength: Int = 4, compression: Int = 0,
                  key: String? = nil) throws(PacketError) -> PacketKey {
        try PacketKey.fromAnnouncement(cipherNID: cipher, digestNID: digest, macLength: macLength,
                                       compression: compression, keyHex: Substring(key ?? aesKeyHex))
    }

    func assertRejected(_ expected: PacketError, _ body: () throws(PacketError) -> PacketKey,
                        file: StaticString = #filePath, line: UInt = #line) {
        do {
            let key = try body()
            XCTFail("accepted \(key)", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, file: file, line: line)
        }
    }

    func testAES256CBCAnnouncement() throws {
        let key = try announce()
        XCTAssertEqual(key.cipher, .aes256cbc)
        XCTAssertEqual(key.digest, .sha256)
        XCTAssertEqual(key.macLength, 4)
        XCTAssertEqual(key.keyMaterial.count, 48)
        XCTAssertEqual(Array(key.keyMaterial[..<2]), [0x01, 0x23])
    }

    func testLowercaseHex() throws {
        let key = try announce(key: aesKeyHex.lowercased())
        XCTAssertEqual(Array(key.keyMaterial[..<2]), [0x01, 0x23])
    }

    func testNoCipherOneByteKey() throws {
        let key = try announce(cipher: 0, digest: 0, macLength: 0, key: "5A")
        XCTAssertNil(key.cipher)
        XCTAssertNil(key.digest)
        XCTAssertEqual(key.keyMaterial, [0x5a])
    }

    func testOddHexDigitIgnored() throws {
        let key = try announce(cipher: 0, digest: 0, macLength: 0, key: "ABC")
        XCTAssertEqual(key.keyMaterial, [0xab])
    }

    func testInvalidHex() {
        assertRejected(.invalidKey) { () throws(PacketError) in try announce(key: "zz") }
    }

    func testInvalidHexCheckedFirst() {
        assertRejected(.invalidKey) { () throws(PacketError) in try announce(cipher: 12345, key: "zz") }
    }

    func testUnknownCipher() {
        assertRejected(.unknownCipher) { () throws(PacketError) in try announce(cipher: 12345) }
    }

    func testWrongKeyLength() {
        assertRejected(.wrongKeyLength) { () throws(PacketError) in try announce(key: "0011") }
    }

    func testNoCipherWrongKeyLength() {
        assertRejected(.wrongKeyLength) { () throws(PacketError) in try announce(cipher: 0, key: "0011") }
    }

    func testUnknownDigest() {
        assertRejected(.unknownDigest) { () throws(PacketError) in try announce(digest: 427) }
    }

    func testMACLongerThanDigest() {
        assertRejected(.bogusMACLength) { () throws(PacketError) in try announce(macLength: 33) }
    }

    func testNegativeMACLength() {
        assertRejected(.bogusMACLength) { () throws(PacketError) in try announce(macLength: -1) }
    }

    func testMACLengthUncheckedWithoutDigest() throws {
        let key = try announce(digest: 0, macLength: 99)
        XCTAssertEqual(key.macLength, 99)
    }

    func testBogusCompression() {
        assertRejected(.bogusCompressionLevel) { () throws(PacketError) in try announce(compression: 12) }
        assertRejected(.bogusCompressionLevel) { () throws(PacketError) in try announce(compression: -1) }
    }

    func testErrorWording() {
        XCTAssertEqual(PacketError.wrongKeyLength.description, "uses wrong keylength")
        XCTAssertEqual(PacketError.unknownCipher.description, "uses unknown cipher")
        XCTAssertEqual(PacketError.bogusMACLength.description, "uses bogus MAC length")
        XCTAssertEqual(PacketError.bogusCompressionLevel.description, "uses bogus compression level")
    }

    func testGeneratedLengths() throws {
        let blowfish = try XCTUnwrap(CipherAlgorithm.named("bf-cbc"))
        XCTAssertEqual(PacketKey.generate(cipher: .aes256cbc, digest: .sha256, macLength: 4, compression: 0)
            .keyMaterial.count, 48)
        XCTAssertEqual(PacketKey.generate(cipher: blowfish, digest: .sha1, macLength: 4, compression: 0)
            .keyMaterial.count, 24)
        XCTAssertEqual(PacketKey.generate(cipher: nil, digest: nil, macLength: 0, compression: 0)
            .keyMaterial.count, 1)
    }

    func testGeneratedKeysDiffer() {
        let first = PacketKey.generate(cipher: .aes256cbc, digest: .sha256, macLength: 4, compression: 0)
        let second = PacketKey.generate(cipher: .aes256cbc, digest: .sha256, macLength: 4, compression: 0)
        XCTAssertNotEqual(first.keyMaterial, second.keyMaterial)
    }

    func testDescriptionHidesKey() throws {
        let key = try announce()
        XCTAssertFalse(key.description.contains("0123"))
        XCTAssertTrue(key.description.contains("48 key bytes"))
    }

    func testSealerRejectsBadKey() {
        let key = PacketKey(cipher: .aes256cbc, digest: .sha256, macLength: 4, compression: 0, keyMaterial: [1, 2])
        XCTAssertThrowsError(try PacketSealer(key: key)) { error in
            XCTAssertEqual(error as? PacketError, .wrongKeyLength)
        }
    }
}
