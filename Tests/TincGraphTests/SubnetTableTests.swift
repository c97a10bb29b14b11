import TincBase
import XCTest
import TincGraph

private func subnet(_ text: String) -> Subnet {
    guard let subnet = Subnet.parse(text) else { preconditionFailure("invalid subnet in test: \(text)") }
    return subnet
}

/// 10.1.2.3 in host byte order.
private let address10_1_2_3: UInt32 = 0x0A01_0203

private func everyoneReachable(_ name: String) -> Bool { true }

final class SubnetTableTests: XCTestCase {
    // MARK: - Changes

    func testAddAndContains() {
        let table = SubnetTable()
        table.add(subnet("10.0.0.0/8"), owner: "alpha")
        XCTAssertTrue(table.contains(subnet("10.0.0.0/8"), owner: "alpha"))
        XCTAssertFalse(table.contains(subnet("10.0.0.0/8"), owner: "beta"))
        XCTAssertFalse(table.contains(subnet("10.0.0.0/8#5"), owner: "alpha"))
    }

    func testAddTwiceKeepsOne() {
        let table = SubnetTable()
        table.add(subnet("10.0.0.0/8"), owner: "alpha")
        table.add(subnet("10.0.0.0/8"), owner: "alpha")
        XCTAssertEqual(table.all.count, 1)
    }

    func testRemove() {
        let table = SubnetTable()
        table.add(subnet("10.0.0.0/8"), owner: "alpha")
        XCTAssertTrue(table.remove(subnet("10.0.0.0/8"), owner: "alpha"))
        XCTAssertFalse(table.contains(subnet("10.0.0.0/8"), owner: "alpha"))
        XCTAssertTrue(table.all.isEmpty)
    }

    func testRemoveMissing() {
        let table = SubnetTable()
        table.add(subnet("10.0.0.0/8"), owner: "alpha")
        XCTAssertFalse(table.remove(subnet("10.0.0.0/8"), owner: "beta"))
    }

    func testRemoveAllOfOwner() {
        let table = SubnetTable()
        table.add(subnet("10.0.0.0/8"), owner: "alpha")
        table.add(subnet("10.2.0.0/16"), owner: "alpha")
        table.add(subnet("10.3.0.0/16"), owner: "beta")
        XCTAssertEqual(table.removeAll(of: "alpha"), [subnet("10.2.0.0/16"), subnet("10.0.0.0/8")])
        XCTAssertEqual(table.all.map(\.owner), ["beta"])
    }

    func testTableOrder() {
        let table = SubnetTable()
        table.add(subnet("fe80::/64"), owner: "alpha")
        table.add(subnet("10.0.0.0/8#5"), owner: "beta")
        table.add(subnet("10.0.0.0/8#5"), owner: "alpha")
        table.add(subnet("10.1.0.0/16"), owner: "alpha")
        table.add(subnet("0:1:2:3:4:5"), owner: "alpha")
        let order = table.all.map { "\($0.subnet.protocolString) \($0.owner)" }
        XCTAssertEqual(order, [
            "0:1:2:3:4:5#10 alpha",
            "10.1.0.0/16#10 alpha",
            "10.0.0.0/8#5 alpha",
            "10.0.0.0/8#5 beta",
            "fe80:0:0:0:0:0:0:0/64#10 alpha",
        ])
    }

    func testSubnetsOfOwner() {
        let table = SubnetTable()
        table.add(subnet("10.0.0.0/8"), owner: "alpha")
        table.add(subnet("10.1.0.0/16"), owner: "alpha")
        table.add(subnet("10.3.0.0/16"), owner: "beta")
        XCTAssertEqual(table.subnets(of: "alpha"), [subnet("10.1.0.0/16"), subnet("10.0.0.0/8")])
    }

    // MARK: - IPv4 lookup

    func testLongestPrefixWins() {
        let table = SubnetTable()
        table.add(subnet("10.0.0.0/8"), owner: "alpha")
        table.add(subnet("10.1.0.0/16"), owner: "beta")
        XCTAssertEqual(table.lookup(ipv4: address10_1_2_3, isReachable: everyoneReachable)?.owner, "beta")
    }

    func testLowerWeightWins() {
        let table = SubnetTable()
        table.add(subnet("10.0.0.0/8#10"), owner: "alpha")
        table.add(subnet("10.0.0.0/8#5"), owner: "beta")
        XCTAssertEqual(table.lookup(ipv4: address10_1_2_3, isReachable: everyoneReachable)?.owner, "beta")
    }

    func testUnreachableOwnerSkipped() {
        let table = SubnetTable()
        table.add(subnet("10.0.0.0/8#5"), owner: "alpha")
        table.add(subnet("10.0.0.0/8#10"), owner: "beta")
        let entry = table.lookup(ipv4: address10_1_2_3) { $0 != "alpha" }
        XCTAssertEqual(entry?.owner, "beta")
    }

    func testNoReachableOwnerReturnsLastMatch() {
        let table = SubnetTable()
        table.add(subnet("10.1.0.0/16"), owner: "alpha")
        table.add(subnet("10.0.0.0/8"), owner: "beta")
        table.add(subnet("192.168.0.0/16"), owner: "gamma")
        let entry = table.lookup(ipv4: address10_1_2_3) { _ in false }
        XCTAssertEqual(entry?.owner, "beta")
    }

    func testNoMatch() {
        let table = SubnetTable()
        table.add(subnet("192.168.0.0/16"), owner: "alpha")
        XCTAssertNil(table.lookup(ipv4: address10_1_2_3, isReachable: everyoneReachable))
    }

    func testAddFlushesCachedMiss() {
        let table = SubnetTable()
        XCTAssertNil(table.lookup(ipv4: address10_1_2_3, isReachable: everyoneReachable))
        table.add(subnet("10.0.0.0/8"), owner: "alpha")
        XCTAssertEqual(table.lookup(ipv4: address10_1_2_3, isReachable: everyoneReachable)?.owner, "alpha")
    }

    func testCacheKeptUntilFlush() {
        let table = SubnetTable()
        table.add(subnet("10.0.0.0/8#5"), owner: "alpha")
        table.add(subnet("10.0.0.0/8#10"), owner: "beta")
        XCTAssertEqual(table.lookup(ipv4: address10_1_2_3) { $0 != "alpha" }?.owner, "beta")

        // Reachability changed without a flush: tinc keeps returning the cached result.
        XCTAssertEqual(table.lookup(ipv4: address10_1_2_3, isReachable: everyoneReachable)?.owner, "beta")

        table.flushCache()
        XCTAssertEqual(table.lookup(ipv4: address10_1_2_3, isReachable: everyoneReachable)?.owner, "alpha")
    }

    func testCacheHoldsTwoAddresses() {
        let table = SubnetTable()
        table.add(subnet("10.0.0.0/8"), owner: "alpha")
        table.add(subnet("192.168.0.0/16"), owner: "beta")
        for _ in 0..<3 {
            XCTAssertEqual(table.lookup(ipv4: address10_1_2_3, isReachable: everyoneReachable)?.owner, "alpha")
            XCTAssertEqual(table.lookup(ipv4: 0xC0A8_0101, isReachable: everyoneReachable)?.owner, "beta")
            XCTAssertNil(table.lookup(ipv4: 0x0808_0808, isReachable: everyoneReachable))
        }
    }

    // MARK: - IPv6 and MAC lookup

    func testIPv6LongestPrefixWins() {
        let table = SubnetTable()
        table.add(subnet("fd00::/8"), owner: "alpha")
        table.add(subnet("fd00:1::/32"), owner: "beta")
        let address: [UInt8] = [0xfd, 0x00, 0x00, 0x01] + Array(repeating: 0, count: 11) + [1]
        let entry = address.withUnsafeBytes { table.lookup(ipv6: $0, isReachable: everyoneReachable) }
        XCTAssertEqual(entry?.owner, "beta")
    }

    func testIPv6NoMatch() {
        let table = SubnetTable()
        table.add(subnet("fd00:1::/32"), owner: "beta")
        let address: [UInt8] = [0xfd, 0x00, 0x00, 0x02] + Array(repeating: 0, count: 12)
        let entry = address.withUnsafeBytes { table.lookup(ipv6: $0, isReachable: everyoneReachable) }
        XCTAssertNil(entry)
    }

    func testMACLookup() {
        let table = SubnetTable()
        table.add(subnet("0:1a:2b:3c:4d:5e"), owner: "alpha")
        let address: [UInt8] = [0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]
        let entry = address.withUnsafeBytes { table.lookup(mac: $0, isReachable: everyoneReachable) }
        XCTAssertEqual(entry?.owner, "alpha")
    }

    func testMACLookupMiss() {
        let table = SubnetTable()
        table.add(subnet("0:1a:2b:3c:4d:5e"), owner: "alpha")
        let address: [UInt8] = [0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5f]
        let entry = address.withUnsafeBytes { table.lookup(mac: $0, isReachable: everyoneReachable) }
        XCTAssertNil(entry)
    }

    func testMACLookupByOwner() {
        let table = SubnetTable()
        table.add(subnet("0:1a:2b:3c:4d:5e#5"), owner: "alpha")
        table.add(subnet("0:1a:2b:3c:4d:5e#10"), owner: "beta")
        let address: [UInt8] = [0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]
        let entry = address.withUnsafeBytes { table.lookup(mac: $0, owner: "beta", isReachable: everyoneReachable) }
        XCTAssertEqual(entry?.owner, "beta")
        XCTAssertEqual(entry?.subnet.weight, 10)
    }
}
