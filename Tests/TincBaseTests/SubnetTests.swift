import XCTest
@testable import TincBase

final class SubnetTests: XCTestCase {
    // MARK: - str2net and net2str

    /// Inputs and the net2str text that tincd 1.0.36 produces for them.
    private let roundTrips: [(input: String, expected: String)] = [
        ("10.0.0.0/24", "10.0.0.0/24#10"),
        ("10.1.2.3", "10.1.2.3/32#10"),
        ("10.0.0.0/8#5", "10.0.0.0/8#5"),
        ("192.168.1.0/24#-3", "192.168.1.0/24#-3"),
        ("0.0.0.0/0", "0.0.0.0/0#10"),
        ("255.255.255.255", "255.255.255.255/32#10"),
        ("::1", "0:0:0:0:0:0:0:1/128#10"),
        ("fe80::/64", "fe80:0:0:0:0:0:0:0/64#10"),
        ("::ffff:1.2.3.4", "0:0:0:0:0:ffff:102:304/128#10"),
        ("::", "0:0:0:0:0:0:0:0/128#10"),
        ("1::", "1:0:0:0:0:0:0:0/128#10"),
        ("2001:DB8::1/64#7", "2001:db8:0:0:0:0:0:1/64#7"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8/128#10"),
        ("1:2:3:4:5:6:1.2.3.4/96", "1:2:3:4:5:6:102:304/96#10"),
        ("0:1a:2b:3c:4d:5e", "0:1a:2b:3c:4d:5e#10"),
        ("00:1A:2B:3C:4D:5E#3", "0:1a:2b:3c:4d:5e#3"),
        ("ff:ff:ff:ff:ff:ff", "ff:ff:ff:ff:ff:ff#10"),
    ]

    func testSubnetRoundTrips() {
        for (input, expected) in roundTrips {
            XCTAssertEqual(Subnet.parse(input)?.protocolString, expected, "input \(input)")
        }
    }

    func testSubnetFormatsItsOwnStringAgain() {
        for (input, expected) in roundTrips {
            let reparsed = Subnet.parse(expected)
            XCTAssertEqual(reparsed, Subnet.parse(input), "input \(input)")
        }
    }

    /// Inputs that upstream str2net accepts because sscanf reads them leniently; checked
    /// against tinc 1.0.36's str2net compiled with glibc.
    func testSubnetKeepsStr2netLeniency() {
        let cases: [(input: String, expected: String)] = [
            (" 10.0.0.1", "10.0.0.1/32#10"),
            ("10.0.0.0/ 8", "10.0.0.0/8#10"),
            ("10.0.0.0/+8", "10.0.0.0/8#10"),
            ("0x1a:2:3:4:5:6", "1a:2:3:4:5:6#10"),
            ("100:2:3:4:5:6", "0:2:3:4:5:6#10"),
            ("10.0.0.0/8#4294967301", "10.0.0.0/8#5"),
            ("10.0.0.0/4294967320", "10.0.0.0/24#10"),
            ("1.2.3.65537", "1.2.3.1/32#10"),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(Subnet.parse(input)?.protocolString, expected, "input \(input)")
        }
    }

    func testSubnetRejectsInvalidInput() {
        let rejected = [
            "", "hello", "10.0.0", "10.0.0.0/33", "10.0.0.256", "10.0.0.0/24x", "10.0.0.0/-1",
            "10.0.0.0/", "10.0.0.0#", "10.0.0.0#5x", "10.0.0.0#5/24", "1.2.3.4 ", "1.2.3.4/24/8",
            "1:2:3:4:5:6/48", "1:2:3:4:5:6:7", "::/129", "1:2:3:4:5:6:7:8:9", "1::2::3",
            "1:2:3:4:5:6:7:8::", "::ffff:1.2.3.256", "fe80::/64 ", "g::1",
        ]
        for input in rejected {
            XCTAssertNil(Subnet.parse(input), "input \(input)")
        }
    }

    func testSubnetParsesIPv4Fields() {
        let subnet = Subnet.parse("10.1.2.3/16")
        XCTAssertEqual(subnet?.network, .ipv4(address: 0x0A01_0203, prefixLength: 16))
        XCTAssertEqual(subnet?.weight, 10)
    }

    func testSubnetParsesIPv6DoubleColon() {
        let subnet = Subnet.parse("::ffff:1.2.3.4#20")
        let expected: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4]
        XCTAssertEqual(subnet?.network, .ipv6(address: expected, prefixLength: 128))
        XCTAssertEqual(subnet?.weight, 20)
    }

    func testSubnetParsesMACFields() {
        let subnet = Subnet.parse("0:1a:2b:3c:4d:5e")
        XCTAssertEqual(subnet?.network, .mac([0x00, 0x1A, 0x2B, 0x3C, 0x4D, 0x5E]))
    }

    func testSubnetIgnoresTextAfterNUL() {
        XCTAssertEqual(Subnet.parse("10.0.0.1\u{0}junk")?.protocolString, "10.0.0.1/32#10")
    }

    func testSubnetReadsOnly1023Bytes() {
        // str2net copies into a 1024-byte buffer, so junk after byte 1023 is never seen.
        let text = "10.0.0.1#" + String(repeating: "0", count: 1014) + "junk"
        XCTAssertEqual(Subnet.parse(text)?.protocolString, "10.0.0.1/32#0")
    }

    func testSubnetDescriptionIsProtocolString() {
        let subnet = Subnet(network: .ipv4(address: 0xC0A8_0100, prefixLength: 24), weight: 3)
        XCTAssertEqual(subnet.description, "192.168.1.0/24#3")
    }

    // MARK: - maskcheck

    func testSubnetHostBits() {
        let cases: [(input: String, clean: Bool)] = [
            ("10.0.0.0/8", true),
            ("10.0.0.1/8", false),
            ("10.0.0.1/32", true),
            ("0.0.0.0/0", true),
            ("10.128.0.0/9", true),
            ("10.64.0.0/9", false),
            ("fe80::/64", true),
            ("fe80::1/64", false),
            ("fe80::/9", true),
            ("fe40::/9", false),
            ("::1/128", true),
            ("0:1a:2b:3c:4d:5e", true),
        ]
        for (input, clean) in cases {
            XCTAssertEqual(Subnet.parse(input)?.hasCleanHostBits, clean, "input \(input)")
        }
    }

    // MARK: - Matching

    func testSubnetMatchesIPv4() {
        let network = Subnet.parse("10.1.0.0/16")!
        XCTAssertTrue(network.matches(ipv4: 0x0A01_FF03))
        XCTAssertFalse(network.matches(ipv4: 0x0A02_0001))
    }

    func testSubnetMatchesIPv4Edges() {
        XCTAssertTrue(Subnet.parse("0.0.0.0/0")!.matches(ipv4: 0xDEAD_BEEF))
        XCTAssertTrue(Subnet.parse("10.0.0.1")!.matches(ipv4: 0x0A00_0001))
        XCTAssertFalse(Subnet.parse("10.0.0.1")!.matches(ipv4: 0x0A00_0002))
        XCTAssertTrue(Subnet.parse("10.1.2.3/16")!.matches(ipv4: 0x0A01_0909), "host bits in the subnet are ignored")
    }

    func testSubnetMatchesIPv6() {
        let network = Subnet.parse("fe80::/10")!
        let inside: [UInt8] = [0xFE, 0xBF] + Array(repeating: 0, count: 13) + [1]
        let outside: [UInt8] = [0xFE, 0xC0] + Array(repeating: 0, count: 13) + [1]
        XCTAssertTrue(inside.withUnsafeBytes { network.matches(ipv6: $0) })
        XCTAssertFalse(outside.withUnsafeBytes { network.matches(ipv6: $0) })
    }

    func testSubnetMatchesIPv6Host() {
        let host = Subnet.parse("::1")!
        let loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]
        let other: [UInt8] = Array(repeating: 0, count: 15) + [2]
        XCTAssertTrue(loopback.withUnsafeBytes { host.matches(ipv6: $0) })
        XCTAssertFalse(other.withUnsafeBytes { host.matches(ipv6: $0) })
    }

    func testSubnetMatchesMAC() {
        let subnet = Subnet.parse("0:1a:2b:3c:4d:5e")!
        let same: [UInt8] = [0x00, 0x1A, 0x2B, 0x3C, 0x4D, 0x5E]
        let other: [UInt8] = [0x00, 0x1A, 0x2B, 0x3C, 0x4D, 0x5F]
        XCTAssertTrue(same.withUnsafeBytes { subnet.matches(mac: $0) })
        XCTAssertFalse(other.withUnsafeBytes { subnet.matches(mac: $0) })
    }

    func testSubnetMatchesOnlyItsOwnType() {
        let ipv4 = Subnet.parse("0.0.0.0/0")!
        let zeros = [UInt8](repeating: 0, count: 16)
        XCTAssertFalse(zeros.withUnsafeBytes { ipv4.matches(ipv6: $0) })
        XCTAssertFalse(zeros.withUnsafeBytes { ipv4.matches(mac: $0) })
        XCTAssertFalse(Subnet.parse("::/0")!.matches(ipv4: 0))
    }

    // MARK: - subnet_compare

    func testSubnetOrderPutsLongerPrefixFirst() {
        let narrow = Subnet.parse("10.0.0.0/24")!
        let wide = Subnet.parse("10.0.0.0/16")!
        XCTAssertLessThan(narrow.compareAsTinc(wide), 0)
        XCTAssertGreaterThan(wide.compareAsTinc(narrow), 0)
    }

    func testSubnetOrderByTypeAddressWeight() {
        XCTAssertLessThan(Subnet.parse("ff:ff:ff:ff:ff:ff")!.compareAsTinc(Subnet.parse("0.0.0.0/0")!), 0)
        XCTAssertLessThan(Subnet.parse("0.0.0.0/0")!.compareAsTinc(Subnet.parse("::/0")!), 0)
        XCTAssertLessThan(Subnet.parse("10.0.0.0/8")!.compareAsTinc(Subnet.parse("11.0.0.0/8")!), 0)
        XCTAssertLessThan(Subnet.parse("10.0.0.0/8#1")!.compareAsTinc(Subnet.parse("10.0.0.0/8#2")!), 0)
        XCTAssertEqual(Subnet.parse("10.0.0.0/8")!.compareAsTinc(Subnet.parse("10.0.0.0/8#10")!), 0)
    }
}
