import Etcd
import XCTest
@testable import AutomaticTinc

final class RegistrationTests: XCTestCase {
    private let keys = EtcdKeys(network: "testnet")
    private let network = IPv4Network("172.16.0.0/13")!
    private var store = FakeEtcdStore()

    override func setUp() {
        store = FakeEtcdStore()
        quietLog()
    }

    private func registration(_ name: String, network: IPv4Network? = nil) -> AddressRegistration {
        AddressRegistration(store: store, keys: keys, network: network ?? self.network, name: name)
    }

    private func addressKey(_ text: String) -> String {
        keys.addressKey(IPv4Address(text)!)
    }

    func testKeyLayout() {
        XCTAssertEqual(keys.addressKey(IPv4Address("172.16.0.1")!), "/tinc-vpn.org/testnet/addresses/2886729729")
        XCTAssertEqual(keys.configKey("alpha"), "/tinc-vpn.org/testnet/configs/alpha")
        XCTAssertEqual(keys.aliveKey("alpha"), "/tinc-vpn.org/testnet/alive/alpha")
    }

    func testNewNodeTakesLowestFree() throws {
        store.seed(addressKey("172.16.0.1"), "one")
        store.seed(addressKey("172.16.0.3"), "three")
        let (address, outcome) = try registration("alpha").register(remembered: nil)
        XCTAssertEqual(address.description, "172.16.0.2")
        XCTAssertEqual(outcome, .allocated)
        XCTAssertEqual(store.value(addressKey("172.16.0.2")), "alpha")
    }

    func testAllocationRetriesAfterConflict() throws {
        // Another node claims each address just before we try it, twice.
        var stolen = 0
        store.beforeCreate = { [store] key in
            guard stolen < 2 else { return }
            stolen += 1
            store.seed(key, "rival\(stolen)")
        }
        let (address, outcome) = try registration("alpha").register(remembered: nil)
        XCTAssertEqual(address.description, "172.16.0.3")
        XCTAssertEqual(outcome, .allocated)
        XCTAssertEqual(store.value(addressKey("172.16.0.1")), "rival1")
        XCTAssertEqual(store.value(addressKey("172.16.0.2")), "rival2")
        XCTAssertEqual(store.value(addressKey("172.16.0.3")), "alpha")
        XCTAssertEqual(store.recordedCalls.filter { $0.hasPrefix("list") }.count, 3)
    }

    func testAllocationFailsWhenExhausted() {
        let small = IPv4Network("10.0.0.0/30")!
        store.seed(keys.addressKey(IPv4Address("10.0.0.1")!), "one")
        store.seed(keys.addressKey(IPv4Address("10.0.0.2")!), "two")
        XCTAssertThrowsError(try registration("alpha", network: small).register(remembered: nil)) { error in
            guard case RegistrationError.exhausted(_, let registered) = error else {
                return XCTFail("expected exhausted, got \(error)")
            }
            XCTAssertEqual(registered, 2)
        }
    }

    func testRestartKeepsAddress() throws {
        store.seed(addressKey("172.16.0.5"), "alpha")
        let (address, outcome) = try registration("alpha").register(remembered: IPv4Address("172.16.0.5"))
        XCTAssertEqual(address.description, "172.16.0.5")
        XCTAssertEqual(outcome, .kept)
        XCTAssertFalse(store.recordedCalls.contains { $0.hasPrefix("create") || $0.hasPrefix("put") })
    }

    func testRestartRecreatesMissingKey() throws {
        store.seed(addressKey("172.16.0.1"), "other")
        let (address, outcome) = try registration("alpha").register(remembered: IPv4Address("172.16.0.5"))
        XCTAssertEqual(address.description, "172.16.0.5")
        XCTAssertEqual(outcome, .recreated)
        XCTAssertEqual(store.value(addressKey("172.16.0.5")), "alpha")
    }

    func testRestartMovesWhenTaken() throws {
        store.seed(addressKey("172.16.0.1"), "other")
        let (address, outcome) = try registration("alpha").register(remembered: IPv4Address("172.16.0.1"))
        XCTAssertEqual(address.description, "172.16.0.2")
        XCTAssertEqual(outcome, .moved(from: IPv4Address("172.16.0.1")!, owner: "other"))
        XCTAssertEqual(store.value(addressKey("172.16.0.1")), "other")
        XCTAssertEqual(store.value(addressKey("172.16.0.2")), "alpha")
    }

    func testRecreateConflictMovesAddress() throws {
        // The key is missing at the get, but another node creates it before our create.
        store.beforeCreate = { [store] key in
            if key == self.addressKey("172.16.0.1") { store.seed(key, "rival") }
        }
        let (address, outcome) = try registration("alpha").register(remembered: IPv4Address("172.16.0.1"))
        XCTAssertEqual(address.description, "172.16.0.2")
        XCTAssertEqual(outcome, .moved(from: IPv4Address("172.16.0.1")!, owner: "rival"))
    }

    func testRememberedAddressOutsideSubnetIsReplaced() throws {
        let (address, outcome) = try registration("alpha").register(remembered: IPv4Address("10.0.0.1"))
        XCTAssertEqual(address.description, "172.16.0.1")
        XCTAssertEqual(outcome, .allocated)
    }

    func testLostStateFileReclaimsRegisteredAddress() throws {
        store.seed(addressKey("172.16.0.1"), "other")
        store.seed(addressKey("172.16.0.9"), "alpha")
        let (address, outcome) = try registration("alpha").register(remembered: nil)
        XCTAssertEqual(address.description, "172.16.0.9")
        XCTAssertEqual(outcome, .reclaimed)
    }

    func testEtcdFailureIsReported() {
        store.setFailure(.unreachable("connection refused"))
        XCTAssertThrowsError(try registration("alpha").register(remembered: nil)) { error in
            guard case RegistrationError.etcd(.unreachable) = error else {
                return XCTFail("expected an etcd error, got \(error)")
            }
        }
    }

    func testCheckAtRunTime() throws {
        let address = IPv4Address("172.16.0.1")!
        let registration = registration("alpha")
        XCTAssertEqual(try registration.check(address), .recreated)
        XCTAssertEqual(try registration.check(address), .ours)
        store.seed(keys.addressKey(address), "other")
        XCTAssertEqual(try registration.check(address), .owned("other"))
    }

    func testStateFileRoundTrip() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let path = directory + "/automatic-tinc.state"
        XCTAssertNil(try AddressStateFile.read(path))
        try AddressStateFile.write(path, address: IPv4Address("172.16.0.7")!)
        XCTAssertEqual(readText(path), "172.16.0.7\n")
        XCTAssertEqual(try AddressStateFile.read(path), IPv4Address("172.16.0.7"))
        try "garbage".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertNil(try AddressStateFile.read(path))
    }

    func testPublishOnlyWhenDifferent() throws {
        XCTAssertTrue(try ConfigPublisher.publish("text", name: "alpha", keys: keys, store: store))
        XCTAssertFalse(try ConfigPublisher.publish("text", name: "alpha", keys: keys, store: store))
        XCTAssertTrue(try ConfigPublisher.publish("new", name: "alpha", keys: keys, store: store))
        XCTAssertEqual(store.value(keys.configKey("alpha")), "new")
        XCTAssertEqual(store.recordedCalls.filter { $0.hasPrefix("put") }.count, 2)
    }

    func testLivenessRecreatedAfterExpiry() throws {
        let liveness = LivenessKey(store: store, key: keys.aliveKey("alpha"), value: "172.16.0.1")
        try liveness.refresh()
        XCTAssertEqual(store.value(keys.aliveKey("alpha")), "172.16.0.1")
        try liveness.refresh()
        XCTAssertEqual(store.recordedCalls.last, "refresh \(keys.aliveKey("alpha"))")

        store.expired.insert(keys.aliveKey("alpha"))
        try liveness.refresh()
        XCTAssertEqual(Array(store.recordedCalls.suffix(2)),
                       ["refresh \(keys.aliveKey("alpha"))", "putExpiring \(keys.aliveKey("alpha")) ttl 30"])
    }

    func testLivenessRemovedStaysRemoved() throws {
        let liveness = LivenessKey(store: store, key: keys.aliveKey("alpha"), value: "172.16.0.1")
        try liveness.refresh()
        liveness.remove()
        XCTAssertNil(store.value(keys.aliveKey("alpha")))
        try liveness.refresh()
        XCTAssertNil(store.value(keys.aliveKey("alpha")))
    }
}
