import XCTest
@testable import TincDaemon

final class PacketHelperTests: XCTestCase {
    func testChecksumOfRFC1071Example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement 220d).
        let bytes: [UInt8] = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]
        XCTAssertEqual(bytes.withUnsafeBytes { internetChecksum($0) }, 0x220d)
    }

    func testChecksumOfOddLength() {
        let bytes: [UInt8] = [0x12, 0x34, 0x56]
        // 0x1234 + 0x5600 = 0x6834, complement 0x97cb.
        XCTAssertEqual(bytes.withUnsafeBytes { internetChecksum($0) }, 0x97cb)
    }

    func testChecksumChainsOverParts() {
        let whole: [UInt8] = [0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00]
        let full = whole.withUnsafeBytes { internetChecksum($0) }
        let first = whole[0..<4].withUnsafeBytes { internetChecksum($0) }
        let chained = whole[4..<8].withUnsafeBytes { internetChecksum($0, previous: first) }
        XCTAssertEqual(chained, full)
    }

    func testIPv4HeaderChecksumVerifiesToZero() {
        // A real IPv4 header with its checksum filled in sums to zero.
        let header: [UInt8] = [0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61,
                               0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7]
        XCTAssertEqual(header.withUnsafeBytes { internetChecksum($0) }, 0)
    }

    func testDisableOldKeysRenamesMarkers() {
        let text = "Address = 1.2.3.4\n-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n"
        let expected = "Address = 1.2.3.4\n-----BEGIN OLD PUBLIC KEY-----\nAAAA\n-----END OLD PUBLIC KEY-----\n"
        XCTAssertEqual(KeyGenerator.disableOldKeys(text), expected)
    }

    func testDisableOldKeysLeavesOtherTextAlone() {
        let text = "Subnet = 10.0.0.1/32\nPort = 655"
        XCTAssertEqual(KeyGenerator.disableOldKeys(text), text)
    }

    func testByteBudgetOfAES() {
        // 16-byte blocks: 2^(16*4-1) bytes.
        XCTAssertEqual(Daemon.byteBudget(.aes256cfb), UInt64(1) << 63)
    }

    func testSocketAddressFormatsLikeTinc() throws {
        let address = try XCTUnwrap(SocketAddress.numeric("192.0.2.7", "655"))
        XCTAssertEqual(address.description, "192.0.2.7 port 655")
    }

    func testSocketAddressUnmapsIPv4MappedIPv6() throws {
        let address = try XCTUnwrap(SocketAddress.numeric("::ffff:192.0.2.7", "655"))
        XCTAssertEqual(address.family, AF_INET)
    }

    func testSocketAddressEqualityIncludesPort() throws {
        let a = try XCTUnwrap(SocketAddress.numeric("192.0.2.7", "655"))
        let b = try XCTUnwrap(SocketAddress.numeric("192.0.2.7", "656"))
        XCTAssertNotEqual(a, b)
    }

    func testSocketAddressIPv6EqualityAndHash() throws {
        let a = try XCTUnwrap(SocketAddress.numeric("2001:db8::7", "655"))
        let same = try XCTUnwrap(SocketAddress.numeric("2001:db8::7", "655"))
        let otherHost = try XCTUnwrap(SocketAddress.numeric("2001:db8::8", "655"))
        let otherPort = try XCTUnwrap(SocketAddress.numeric("2001:db8::7", "656"))
        XCTAssertEqual(a, same)
        XCTAssertNotEqual(a, otherHost)
        XCTAssertNotEqual(a, otherPort)
        XCTAssertEqual(Set([a, same, otherHost]).count, 2)
        XCTAssertEqual(a.description, "2001:db8::7 port 655")
    }

    func testSocketAddressFamiliesNeverEqual() throws {
        let v4 = try XCTUnwrap(SocketAddress.numeric("192.0.2.7", "655"))
        let v6 = try XCTUnwrap(SocketAddress.numeric("2001:db8::7", "655"))
        XCTAssertNotEqual(v4, v6)
    }
}
