import TincConfig
import XCTest
@testable import TincDaemon

final class SettingsTests: XCTestCase {
    private func settings(_ text: String) throws -> Settings {
        try Settings(config: ConfigParser.parse(text: text, file: "tinc.conf"), name: "alpha", netname: "vpn")
    }

    func testPacketDefaultsMatchTinc() throws {
        let value = try settings("Name = alpha\n")
        XCTAssertEqual(value.packetCipher?.nid, 427)   // aes-256-cbc
        XCTAssertEqual(value.packetDigest?.nid, 672)   // sha256
        XCTAssertEqual(value.macLength, 4)
        XCTAssertEqual(value.compression, 0)
    }

    func testTimingDefaultsMatchTinc() throws {
        let value = try settings("Name = alpha\n")
        XCTAssertEqual(value.pingInterval, 60)
        XCTAssertEqual(value.pingTimeout, 5)
        XCTAssertEqual(value.maxTimeout, 900)
        XCTAssertEqual(value.keyLifetime, 3600)
    }

    func testMetaCipherFollowsPacketKeySize() throws {
        XCTAssertEqual(try settings("Cipher = aes-128-cbc\n").metaCipher, .aes128cfb)
        XCTAssertEqual(try settings("Cipher = none\n").metaCipher, .aes128cfb)
        XCTAssertEqual(try settings("Name = alpha\n").metaCipher, .aes256cfb)
    }

    func testDefaultOptionsArePMTUAndClampMSS() throws {
        XCTAssertEqual(try settings("Name = alpha\n").options, 0x000c)
    }

    func testTCPOnlyImpliesIndirectAndNoPMTU() throws {
        XCTAssertEqual(try settings("TCPOnly = yes\n").options, 0x000b)
    }

    func testInterfaceDefaultsToNetname() throws {
        XCTAssertEqual(try settings("Name = alpha\n").interface, "vpn")
    }

    func testUnknownCipherNamesLine() {
        XCTAssertThrowsError(try settings("Name = alpha\nCipher = rot13\n")) { error in
            XCTAssertTrue("\(error)".contains("rot13"), "\(error)")
            XCTAssertTrue("\(error)".contains("line 2"), "\(error)")
        }
    }

    func testCompressionOutOfRangeRejected() {
        XCTAssertThrowsError(try settings("Compression = 12\n"))
    }

    func testMACLengthLongerThanDigestRejected() {
        XCTAssertThrowsError(try settings("Digest = sha1\nMACLength = 21\n"))
    }

    func testSwitchModeRejectedWithReason() {
        XCTAssertThrowsError(try settings("Mode = switch\n")) { error in
            XCTAssertTrue("\(error)".contains("Mode = switch"), "\(error)")
        }
    }

    func testPingTimeoutCappedByInterval() throws {
        XCTAssertEqual(try settings("PingInterval = 3\nPingTimeout = 10\n").pingTimeout, 3)
    }
}
