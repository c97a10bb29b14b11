import XCTest
@testable import AutomaticTinc

final class AddressPlanTests: XCTestCase {
    func testAddressToInteger() {
        XCTAssertEqual(IPv4Address("172.16.0.1")?.value, 2_886_729_729)
        XCTAssertEqual(IPv4Address("172.16.0.1")?.decimal, "2886729729")
        XCTAssertEqual(IPv4Address("0.0.0.0")?.value, 0)
        XCTAssertEqual(IPv4Address("255.255.255.255")?.value, UInt32.max)
    }

    func testIntegerToAddress() {
        XCTAssertEqual(IPv4Address(decimal: "2886729729")?.description, "172.16.0.1")
        XCTAssertEqual(IPv4Address(value: 0x0A00_0102).description, "10.0.1.2")
        XCTAssertNil(IPv4Address(decimal: "4294967296"))
        XCTAssertNil(IPv4Address(decimal: "-1"))
        XCTAssertNil(IPv4Address(decimal: "12a"))
        XCTAssertNil(IPv4Address(decimal: ""))
    }

    func testStrictDottedQuad() {
        for text in ["1.2.3", "1.2.3.4.5", "1.2.3.256", "1..3.4", " 1.2.3.4", "1.2.3.4 ", "+1.2.3.4", "1.2.3.0004", "a.b.c.d"] {
            XCTAssertNil(IPv4Address(text), text)
        }
    }

    func testNetworkRange() throws {
        let network = try XCTUnwrap(IPv4Network("172.16.0.0/13"))
        XCTAssertTrue(network.hasCleanHostBits)
        XCTAssertEqual(network.broadcast.description, "172.23.255.255")
        XCTAssertEqual(network.hostRange?.lowerBound, IPv4Address("172.16.0.1")?.value)
        XCTAssertEqual(network.hostRange?.upperBound, IPv4Address("172.23.255.254")?.value)
        XCTAssertTrue(network.contains(IPv4Address("172.23.1.1")!))
        XCTAssertFalse(network.contains(IPv4Address("172.24.0.1")!))
        XCTAssertFalse(network.isHostAddress(IPv4Address("172.16.0.0")!))
        XCTAssertFalse(network.isHostAddress(IPv4Address("172.23.255.255")!))
    }

    func testHostBits() throws {
        let network = try XCTUnwrap(IPv4Network("10.1.2.3/8"))
        XCTAssertFalse(network.hasCleanHostBits)
        XCTAssertEqual(network.masked.description, "10.0.0.0/8")
        XCTAssertNil(IPv4Network("10.0.0.0/33"))
        XCTAssertNil(IPv4Network("10.0.0.0/"))
    }

    func testLowestFreeInEmptyNetwork() throws {
        let network = try XCTUnwrap(IPv4Network("172.16.0.0/13"))
        XCTAssertEqual(AddressPlan.lowestFree(in: network, registered: [])?.description, "172.16.0.1")
    }

    func testLowestFreeFillsGap() throws {
        let network = try XCTUnwrap(IPv4Network("10.0.0.0/24"))
        let registered: Set<UInt32> = ["10.0.0.1", "10.0.0.2", "10.0.0.4"].map { IPv4Address($0)!.value }.reduce(into: []) { $0.insert($1) }
        XCTAssertEqual(AddressPlan.lowestFree(in: network, registered: registered)?.description, "10.0.0.3")
    }

    func testLowestFreeIgnoresAddressesOutsideNetwork() throws {
        let network = try XCTUnwrap(IPv4Network("10.0.0.0/24"))
        let registered: Set<UInt32> = [IPv4Address("192.168.0.1")!.value]
        XCTAssertEqual(AddressPlan.lowestFree(in: network, registered: registered)?.description, "10.0.0.1")
    }

    func testExhaustedNetwork() throws {
        let network = try XCTUnwrap(IPv4Network("10.0.0.0/30"))
        XCTAssertNil(AddressPlan.lowestFree(in: network, registered: [IPv4Address("10.0.0.1")!.value, IPv4Address("10.0.0.2")!.value]))
        XCTAssertEqual(AddressPlan.lowestFree(in: network, registered: [IPv4Address("10.0.0.1")!.value])?.description, "10.0.0.2")
    }
}
