import Etcd
import Foundation
import XCTest
@testable import AutomaticTinc

/// The discovery thread against the in-memory store: watch events, lost history and an outage.
final class DiscoveryTests: XCTestCase {
    private let keys = EtcdKeys(network: "testnet")
    private var root = ""
    private var writer = ConfigWriter(directory: "")
    private var store = FakeEtcdStore()
    private var controller = RecordingController()
    private var stopFlag = StopFlag()

    override func setUpWithError() throws {
        root = try makeTemporaryDirectory()
        writer = ConfigWriter(directory: root + "/testnet")
        try writer.prepare()
        store = FakeEtcdStore()
        controller = RecordingController()
        stopFlag = StopFlag()
        quietLog()
    }

    override func tearDown() {
        stopFlag.stop()
        store.close()
        removeTemporaryDirectory(root)
    }

    private var ourHostFile: String { peerHostFile(public: "192.0.2.1", vpn: "172.16.0.1") }

    /// Publishes us and beta, runs the startup listing and starts the thread.
    private func startDiscovery() throws {
        store.seed(keys.configKey("alpha"), ourHostFile)
        store.seed(keys.configKey("beta"), peerHostFile(vpn: "172.16.0.2"))
        var sync = PeerSync(myself: "alpha", keys: keys, writer: writer,
                            nodeFiles: NodeFiles(name: "alpha", interface: "tun0", port: 655,
                                                 vpnAddress: IPv4Address("172.16.0.1")!,
                                                 network: IPv4Network("172.16.0.0/13")!, connectTo: []),
                            ourHostFile: ourHostFile, connectToCount: 3)
        let listing = try store.list(prefix: keys.configsPrefix)
        _ = try sync.reconcile(listing: listing.values)
        let liveness = LivenessKey(store: store, key: keys.aliveKey("alpha"), value: "172.16.0.1")
        try liveness.refresh()

        Discovery(store: store, keys: keys,
                  registration: AddressRegistration(store: store, keys: keys, network: IPv4Network("172.16.0.0/13")!, name: "alpha"),
                  address: IPv4Address("172.16.0.1")!, liveness: liveness, controller: controller, stopFlag: stopFlag,
                  initialSync: sync, listingRevision: listing.revision).start()
    }

    private func allReloaded() -> Set<String> {
        Set(controller.changes.flatMap(\.reloaded))
    }

    func testNewPeerFromWatch() throws {
        try startDiscovery()
        store.seed(keys.configKey("gamma"), peerHostFile(vpn: "172.16.0.3"))
        XCTAssertTrue(waitUntil { self.controller.changes.contains { $0.reloaded == ["gamma"] } })
        XCTAssertEqual(controller.changes.first?.connectTo, ["beta", "gamma"])
        XCTAssertEqual(readText(writer.hostPath("gamma")), peerHostFile(vpn: "172.16.0.3"))
    }

    func testDeletedPeerFromWatch() throws {
        try startDiscovery()
        store.remove(keys.configKey("beta"))
        XCTAssertTrue(waitUntil { self.controller.changes.contains { $0.removed == ["beta"] } })
        XCTAssertNil(readText(writer.hostPath("beta")))
        XCTAssertEqual(controller.changes.last?.connectTo, [])
    }

    func testInvalidValueFromWatchChangesNothing() throws {
        try startDiscovery()
        store.seed(keys.configKey("beta"), "garbage")
        store.seed(keys.configKey("gamma"), peerHostFile(vpn: "172.16.0.3"))
        XCTAssertTrue(waitUntil { self.allReloaded().contains("gamma") })
        XCTAssertFalse(allReloaded().contains("beta"))
        XCTAssertFalse(controller.changes.contains { !$0.removed.isEmpty })
        XCTAssertEqual(readText(writer.hostPath("beta")), peerHostFile(vpn: "172.16.0.2"))
    }

    func testLostHistoryReadsEverything() throws {
        try startDiscovery()
        // Let the thread reach its watch first, so that the compaction happens under it.
        XCTAssertTrue(waitUntil { self.store.recordedCalls.contains { $0.hasPrefix("watch") } })
        store.seed(keys.configKey("gamma"), peerHostFile(vpn: "172.16.0.3"))
        store.compact()
        store.seed(keys.configKey("delta"), peerHostFile(vpn: "172.16.0.4"))
        XCTAssertTrue(waitUntil { self.allReloaded().isSuperset(of: ["gamma", "delta"]) })
        XCTAssertNotNil(readText(writer.hostPath("delta")))
    }

    func testOutageKeepsPeersAndRecovers() throws {
        try startDiscovery()
        XCTAssertTrue(waitUntil { self.store.recordedCalls.contains { $0.hasPrefix("watch") } })
        store.setFailure(.unreachable("connection refused"))

        // After the failed watch, the thread retries with a full listing of configs/, which fails too.
        XCTAssertTrue(waitUntil {
            let calls = self.store.recordedCalls
            let firstWatch = calls.firstIndex { $0.hasPrefix("watch") }!
            return calls[firstWatch...].contains("list \(self.keys.configsPrefix)")
        })
        // While etcd is away, nothing is removed.
        XCTAssertNotNil(readText(writer.hostPath("beta")))
        XCTAssertTrue(controller.changes.isEmpty)

        store.seed(keys.configKey("gamma"), peerHostFile(vpn: "172.16.0.3"))
        store.setFailure(nil)
        XCTAssertTrue(waitUntil(timeout: 10) { self.allReloaded().contains("gamma") })
        XCTAssertNotNil(readText(writer.hostPath("beta")))
    }

    func testOwnConfigDeletedIsPublishedAgain() throws {
        try startDiscovery()
        store.remove(keys.configKey("alpha"))
        XCTAssertTrue(waitUntil { self.store.value(self.keys.configKey("alpha")) == self.ourHostFile })
    }
}
