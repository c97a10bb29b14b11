import TincCrypto
import XCTest

final class RSAKeyTests: XCTestCase {
    func tincdPrivateKey() throws -> RSAKey {
        try RSAKey.privateKey(pem: KeyFixtures.text("rsa_key.priv"))
    }

    func testReadTincdPrivateKey() throws {
        let key = try tincdPrivateKey()
        XCTAssertEqual(key.size, 256)
        XCTAssertTrue(key.hasPrivateKey)
    }

    func testReadTincdHostFile() throws {
        let publicKey = try RSAKey.publicKey(pem: KeyFixtures.text("hosts/test"))
        XCTAssertEqual(publicKey.size, 256)
        XCTAssertFalse(publicKey.hasPrivateKey)
        XCTAssertTrue(publicKey.matches(try tincdPrivateKey()))
    }

    func testHostFileWithSettings() throws {
        let hostFile = "Address = 192.0.2.1\nPort = 655\nSubnet = 10.1.0.0/16\n" + (try KeyFixtures.text("hosts/test"))
        let publicKey = try RSAKey.publicKey(pem: hostFile)
        XCTAssertTrue(publicKey.matches(try tincdPrivateKey()))
    }

    func testReadSubjectPublicKeyInfo() throws {
        let publicKey = try RSAKey.publicKey(pem: KeyFixtures.text("spki.pem"))
        XCTAssertTrue(publicKey.matches(try tincdPrivateKey()))
    }

    func testReadPKCS8() throws {
        let key = try RSAKey.privateKey(pem: KeyFixtures.text("pkcs8.pem"))
        XCTAssertTrue(key.hasPrivateKey)
        XCTAssertTrue(key.matches(try tincdPrivateKey()))
    }

    func testPublicPEMMatchesTincd() throws {
        // tincd -K writes a blank line and then the PEM block.
        let hostFile = try KeyFixtures.text("hosts/test")
        let written = try tincdPrivateKey().publicKeyPEM()
        XCTAssertTrue(written.hasPrefix("-----BEGIN RSA PUBLIC KEY-----\n"))
        XCTAssertEqual("\n" + written, hostFile)
    }

    func testPrivatePEMMatchesTincd() throws {
        let privateFile = try KeyFixtures.text("rsa_key.priv")
        let written = try tincdPrivateKey().privateKeyPEM()
        XCTAssertTrue(written.hasPrefix("-----BEGIN RSA PRIVATE KEY-----\n"))
        XCTAssertEqual("\n" + written, privateFile)
    }

    func testRawRoundTrip() throws {
        let privateKey = try tincdPrivateKey()
        let publicKey = try RSAKey.publicKey(pem: KeyFixtures.text("hosts/test"))
        // Leading zero bytes keep the number below the modulus and must survive decryption.
        var plaintext = Crypto.randomBytes(privateKey.size)
        plaintext[0] = 0
        plaintext[1] = 0
        let ciphertext = try publicKey.publicEncryptRaw(plaintext)
        XCTAssertEqual(ciphertext.count, 256)
        XCTAssertNotEqual(ciphertext, plaintext)
        XCTAssertEqual(try privateKey.privateDecryptRaw(ciphertext), plaintext)
    }

    func testRawWrongLengthThrows() throws {
        let key = try tincdPrivateKey()
        XCTAssertThrowsError(try key.publicEncryptRaw([UInt8](repeating: 1, count: 255)))
        XCTAssertThrowsError(try key.privateDecryptRaw([UInt8](repeating: 1, count: 257)))
    }

    func testRawAboveModulusThrows() throws {
        let key = try tincdPrivateKey()
        XCTAssertThrowsError(try key.publicEncryptRaw([UInt8](repeating: 0xff, count: 256)))
    }

    func testPublicKeyCannotDecrypt() throws {
        let publicKey = try RSAKey.publicKey(pem: KeyFixtures.text("hosts/test"))
        XCTAssertThrowsError(try publicKey.privateDecryptRaw([UInt8](repeating: 0, count: 256)))
        XCTAssertThrowsError(try publicKey.privateKeyPEM())
    }

    func testGarbagePEMThrows() {
        XCTAssertThrowsError(try RSAKey.publicKey(pem: "Address = 192.0.2.1\n"))
        XCTAssertThrowsError(try RSAKey.privateKey(pem: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"))
    }

    func testEncryptedPrivateKeyThrows() throws {
        let encrypted = try runOpenSSL(["rsa", "-aes128", "-passout", "pass:secret"],
                                       input: KeyFixtures.text("rsa_key.priv"))
        XCTAssertEqual(encrypted.status, 0)
        XCTAssertTrue(encrypted.output.contains("ENCRYPTED"))
        XCTAssertThrowsError(try RSAKey.privateKey(pem: encrypted.output))
    }

    func testDifferentKeysDoNotMatch() throws {
        let generated = try RSAKey.generate(bits: 1024)
        XCTAssertFalse(generated.matches(try tincdPrivateKey()))
    }

    func testGeneratedKeyPassesOpenSSLCheck() throws {
        let key = try RSAKey.generate(bits: 2048)
        XCTAssertEqual(key.size, 256)
        let check = try runOpenSSL(["rsa", "-check", "-noout"], input: key.privateKeyPEM())
        XCTAssertEqual(check.status, 0)
        XCTAssertTrue(check.output.contains("RSA key ok"), check.output)
    }

    func testGeneratedPublicPEMReadableByOpenSSL() throws {
        let key = try RSAKey.generate(bits: 1024)
        let fromPublic = try runOpenSSL(["rsa", "-RSAPublicKey_in", "-noout", "-modulus"], input: key.publicKeyPEM())
        let fromPrivate = try runOpenSSL(["rsa", "-noout", "-modulus"], input: key.privateKeyPEM())
        XCTAssertEqual(fromPublic.status, 0)
        XCTAssertTrue(fromPublic.output.hasPrefix("Modulus="), fromPublic.output)
        XCTAssertEqual(fromPublic.output, fromPrivate.output)
    }

    func testGeneratedKeyExponent() throws {
        let key = try RSAKey.generate(bits: 1024)
        let text = try runOpenSSL(["rsa", "-RSAPublicKey_in", "-noout", "-text"], input: key.publicKeyPEM())
        XCTAssertEqual(text.status, 0)
        XCTAssertTrue(text.output.contains("Exponent: 65537 (0x10001)"), text.output)
    }

    func testGeneratedKeyRoundTripsThroughPEM() throws {
        let key = try RSAKey.generate(bits: 1024)
        let reread = try RSAKey.privateKey(pem: key.privateKeyPEM())
        let rereadPublic = try RSAKey.publicKey(pem: key.publicKeyPEM())
        XCTAssertTrue(reread.matches(key))
        XCTAssertTrue(rereadPublic.matches(key))
    }
}
