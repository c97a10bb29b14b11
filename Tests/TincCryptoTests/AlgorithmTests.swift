import TincCrypto
import XCTest

final class AlgorithmTests: XCTestCase {
    override func setUp() {
        Crypto.initialize()
    }

    func testAES256CBCByName() throws {
        let cipher = try XCTUnwrap(CipherAlgorithm.named("aes-256-cbc"))
        XCTAssertEqual(cipher.nid, 427)
        XCTAssertEqual(cipher.keyLength, 32)
        XCTAssertEqual(cipher.ivLength, 16)
        XCTAssertEqual(cipher.blockSize, 16)
        XCTAssertEqual(cipher, CipherAlgorithm.aes256cbc)
    }

    func testAES256CBCByNID() throws {
        let cipher = try XCTUnwrap(CipherAlgorithm.nid(427))
        XCTAssertEqual(cipher, CipherAlgorithm.aes256cbc)
    }

    func testAES256CFB() throws {
        let cipher = try XCTUnwrap(CipherAlgorithm.named("aes-256-cfb"))
        XCTAssertEqual(cipher.nid, 429)
        XCTAssertEqual(cipher.blockSize, 1)
        XCTAssertEqual(CipherAlgorithm.aes256cfb.nid, 429)
        XCTAssertEqual(CipherAlgorithm.aes128cfb.keyLength, 16)
        XCTAssertEqual(CipherAlgorithm.aes192cfb.keyLength, 24)
    }

    func testBlowfishAliases() throws {
        let byName = try XCTUnwrap(CipherAlgorithm.named("blowfish"))
        let byShortName = try XCTUnwrap(CipherAlgorithm.named("bf-cbc"))
        let byNID = try XCTUnwrap(CipherAlgorithm.nid(91))
        XCTAssertEqual(byName.nid, 91)
        XCTAssertEqual(byShortName, byName)
        XCTAssertEqual(byNID, byName)
        XCTAssertEqual(byName.keyLength, 16)
        XCTAssertEqual(byName.ivLength, 8)
    }

    func testBlowfishNeedsLegacyProvider() throws {
        // A context can only be made when the legacy provider is loaded.
        let cipher = try XCTUnwrap(CipherAlgorithm.named("bf-cbc"))
        let key = [UInt8](repeating: 1, count: 16)
        let iv = [UInt8](repeating: 2, count: 8)
        XCTAssertNoThrow(try key.withUnsafeBytes { keyBytes in
            try iv.withUnsafeBytes { ivBytes in
                _ = try CipherContext(algorithm: cipher, key: keyBytes, iv: ivBytes, encrypt: true)
            }
        })
    }

    func testUnknownCipher() {
        XCTAssertNil(CipherAlgorithm.named("no-such-cipher"))
        XCTAssertNil(CipherAlgorithm.nid(0))
        XCTAssertNil(CipherAlgorithm.nid(-1))
        XCTAssertNil(CipherAlgorithm.nid(999_999))
    }

    func testDigestsByNameAndNID() throws {
        let sha256 = try XCTUnwrap(DigestAlgorithm.named("sha256"))
        let sha1 = try XCTUnwrap(DigestAlgorithm.named("sha1"))
        XCTAssertEqual(sha256.nid, 672)
        XCTAssertEqual(sha256.size, 32)
        XCTAssertEqual(sha1.nid, 64)
        XCTAssertEqual(sha1.size, 20)
        XCTAssertEqual(DigestAlgorithm.nid(672), DigestAlgorithm.sha256)
        XCTAssertEqual(DigestAlgorithm.nid(64), DigestAlgorithm.sha1)
    }

    func testUnknownDigest() {
        XCTAssertNil(DigestAlgorithm.named("no-such-digest"))
        XCTAssertNil(DigestAlgorithm.nid(0))
        XCTAssertNil(DigestAlgorithm.nid(427))
    }

    func testSHA256Hash() {
        let digest = Array("abc".utf8).withUnsafeBytes { DigestAlgorithm.sha256.hash($0) }
        XCTAssertEqual(digest.hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testRandomBytes() {
        let first = Crypto.randomBytes(32)
        let second = Crypto.randomBytes(32)
        XCTAssertEqual(first.count, 32)
        XCTAssertNotEqual(first, second)
        XCTAssertEqual(Crypto.randomBytes(0), [])
    }
}
