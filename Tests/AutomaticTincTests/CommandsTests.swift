import Etcd
import XCTest
@testable import AutomaticTinc

final class CommandsTests: XCTestCase {
    private let keys = EtcdKeys(network: "testnet")
    private var store = FakeEtcdStore()

    override func setUp() {
        store = FakeEtcdStore()
        quietLog()
    }

    private func seedNetwork() {
        store.seed(keys.addressKey(IPv4Address("172.16.0.1")!), "alpha")
        store.seed(keys.configKey("alpha"), peerHostFile(public: "192.0.2.1", vpn: "172.16.0.1"))
        store.seed(keys.aliveKey("alpha"), "172.16.0.1")
        // An old shell-script node: no liveness key.
        store.seed(keys.addressKey(IPv4Address("172.16.0.2")!), "beta")
        store.seed(keys.configKey("beta"), peerHostFile(public: "old.example.org", vpn: "172.16.0.2"))
        // A node that left only its address behind.
        store.seed(keys.addressKey(IPv4Address("172.16.0.3")!), "gone")
    }

    func testListTable() throws {
        seedNetwork()
        XCTAssertEqual(try ListCommand.run(store: store, keys: keys), """
            NAME   VPN ADDRESS  PUBLIC ADDRESS   ALIVE
            alpha  172.16.0.1   192.0.2.1        yes
            beta   172.16.0.2   old.example.org  no
            gone   172.16.0.3   -                no

            """)
    }

    func testListRowWithoutAddress() {
        let rows = ListCommand.rows(configs: [EtcdKeyValue(key: keys.configKey("solo"), value: "Address = 1.2.3.4\n", modifiedRevision: 1)],
                                    addresses: [], alive: [], keys: keys)
        XCTAssertEqual(rows, [ListCommand.Row(name: "solo", vpnAddresses: [], publicAddress: "1.2.3.4", alive: false)])
    }

    func testForgetDeletesEveryKey() throws {
        seedNetwork()
        let output = try ForgetCommand.run(name: "alpha", store: store, keys: keys)
        XCTAssertEqual(output, [
            "Deleted /tinc-vpn.org/testnet/addresses/2886729729 (172.16.0.1)",
            "Deleted /tinc-vpn.org/testnet/configs/alpha",
            "Deleted /tinc-vpn.org/testnet/alive/alpha",
            "Warning: alpha is running and will register itself again; stop it before forgetting it",
        ])
        XCTAssertFalse(store.keys.contains { $0.hasSuffix("/alpha") })
        XCTAssertNil(store.value(keys.addressKey(IPv4Address("172.16.0.1")!)))
        XCTAssertEqual(store.value(keys.addressKey(IPv4Address("172.16.0.2")!)), "beta")
    }

    func testForgetStoppedNode() throws {
        seedNetwork()
        XCTAssertEqual(try ForgetCommand.run(name: "beta", store: store, keys: keys), [
            "Deleted /tinc-vpn.org/testnet/addresses/2886729730 (172.16.0.2)",
            "Deleted /tinc-vpn.org/testnet/configs/beta",
        ])
    }

    func testForgetUnknownNode() throws {
        seedNetwork()
        XCTAssertEqual(try ForgetCommand.run(name: "nobody", store: store, keys: keys), [])
        XCTAssertEqual(store.keys.count, 6)
    }
}
