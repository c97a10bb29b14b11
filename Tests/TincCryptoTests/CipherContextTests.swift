import TincCrypto
import XCTest

final class CipherContextTests: XCTestCase {
    // NIST SP 800-38A, F.2.5 CBC-AES256.Encrypt.
    let nistKey = [UInt8](hex: "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
    let nistIV = [UInt8](hex: "000102030405060708090a0b0c0d0e0f")
    let nistPlaintext = [UInt8](hex: "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
    let nistCiphertext = [UInt8](hex: "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d")

    func makeContext(_ algorithm: CipherAlgorithm, key: [UInt8], iv: [UInt8], encrypt: Bool) throws -> CipherContext {
        try key.withUnsafeBytes { keyBytes in
            try iv.withUnsafeBytes { ivBytes in
                try CipherContext(algorithm: algorithm, key: keyBytes, iv: ivBytes, encrypt: encrypt)
            }
        }
    }

    func oneShot(_ context: CipherContext, _ input: [UInt8]) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: input.count + 32)
        let length = try input.withUnsafeBytes { inputBytes in
            try output.withUnsafeMutableBytes { try context.oneShot(inputBytes, into: $0) }
        }
        return Array(output[..<length])
    }

    func update(_ context: CipherContext, _ input: [UInt8]) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: input.count + 32)
        let length = try input.withUnsafeBytes { inputBytes in
            try output.withUnsafeMutableBytes { try context.update(inputBytes, into: $0) }
        }
        return Array(output[..<length])
    }

    func testCBCKnownAnswer() throws {
        let context = try makeContext(.aes256cbc, key: nistKey, iv: nistIV, encrypt: true)
        let sealed = try oneShot(context, nistPlaintext)
        // Two NIST blocks, then one block of PKCS padding.
        XCTAssertEqual(sealed.count, 48)
        XCTAssertEqual(Array(sealed[..<32]), nistCiphertext)
    }

    func testOneShotResetsIV() throws {
        let context = try makeContext(.aes256cbc, key: nistKey, iv: nistIV, encrypt: true)
        let first = try oneShot(context, nistPlaintext)
        let second = try oneShot(context, nistPlaintext)
        XCTAssertEqual(first, second)
    }

    func testOneShotRoundTrip() throws {
        let encryptor = try makeContext(.aes256cbc, key: nistKey, iv: nistIV, encrypt: true)
        let decryptor = try makeContext(.aes256cbc, key: nistKey, iv: nistIV, encrypt: false)
        for length in [0, 1, 15, 16, 17, 1500] {
            let plaintext = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7) }
            let ciphertext = try oneShot(encryptor, plaintext)
            XCTAssertEqual(ciphertext.count, (length / 16 + 1) * 16, "length \(length)")
            XCTAssertEqual(try oneShot(decryptor, ciphertext), plaintext, "length \(length)")
        }
    }

    func testBadPaddingThrows() throws {
        let decryptor = try makeContext(.aes256cbc, key: nistKey, iv: nistIV, encrypt: false)
        // The NIST ciphertext decrypts to data that does not end in valid PKCS padding.
        XCTAssertThrowsError(try oneShot(decryptor, nistCiphertext))
    }

    func testStreamContinuity() throws {
        let key = [UInt8](repeating: 0x42, count: 32)
        let iv = [UInt8](repeating: 0x24, count: 16)
        let message = (0..<100).map { UInt8($0) }

        let whole = try makeContext(.aes256cfb, key: key, iv: iv, encrypt: true)
        let expected = try update(whole, message)

        let pieces = try makeContext(.aes256cfb, key: key, iv: iv, encrypt: true)
        let first = try update(pieces, Array(message[..<37]))
        let second = try update(pieces, Array(message[37...]))
        XCTAssertEqual(first.count, 37)
        XCTAssertEqual(first + second, expected)
    }

    func testStreamDecryptsInPlace() throws {
        let key = [UInt8](repeating: 0x42, count: 16)
        let iv = [UInt8](repeating: 0x24, count: 16)
        let message = Array("GET / HTTP/1.0\n".utf8)
        let encryptor = try makeContext(.aes128cfb, key: key, iv: iv, encrypt: true)
        var buffer = try update(encryptor, message)

        let decryptor = try makeContext(.aes128cfb, key: key, iv: iv, encrypt: false)
        let length = try buffer.withUnsafeMutableBytes { bytes in
            try decryptor.update(UnsafeRawBufferPointer(bytes), into: bytes)
        }
        XCTAssertEqual(length, message.count)
        XCTAssertEqual(buffer, message)
    }

    func testWrongKeyLengthThrows() {
        let key = [UInt8](repeating: 0, count: 16)
        XCTAssertThrowsError(try makeContext(.aes256cbc, key: key, iv: nistIV, encrypt: true)) { error in
            XCTAssertTrue("\(error)".contains("32-byte key"), "\(error)")
        }
    }

    func testWrongIVLengthThrows() {
        let iv = [UInt8](repeating: 0, count: 8)
        XCTAssertThrowsError(try makeContext(.aes256cbc, key: nistKey, iv: iv, encrypt: true))
    }
}
