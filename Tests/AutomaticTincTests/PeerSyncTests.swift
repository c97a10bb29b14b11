import Etcd
import Foundation
import XCTest
@testable import AutomaticTinc

final class PeerSyncTests: XCTestCase {
    private let keys = EtcdKeys(network: "testnet")
    private var root = ""
    private var writer = ConfigWriter(directory: "")
    private var revision: Int64 = 10

    override func setUpWithError() throws {
        root = try makeTemporaryDirectory()
        writer = ConfigWriter(directory: root + "/testnet")
        try writer.prepare()
        quietLog()
    }

    override func tearDown() {
        removeTemporaryDirectory(root)
    }

    private func makeSync(connectTo: Int = 2) -> PeerSync {
        PeerSync(myself: "alpha", keys: keys, writer: writer,
                 nodeFiles: NodeFiles(name: "alpha", interface: "tun0", port: 655, vpnAddress: IPv4Address("172.16.0.1")!,
                                      network: IPv4Network("172.16.0.0/13")!, connectTo: []),
                 ourHostFile: ourHostFile, connectToCount: connectTo)
    }

    private var ourHostFile: String { peerHostFile(public: "192.0.2.1", vpn: "172.16.0.1") }

    private func entry(_ name: String, _ value: String) -> EtcdKeyValue {
        revision += 1
        return EtcdKeyValue(key: keys.configKey(name), value: value, modifiedRevision: revision)
    }

    private func host(_ name: String) -> String? {
        readText(writer.hostPath(name))
    }

    func testAddedPeersAreWrittenAndConnected() throws {
        var sync = makeSync()
        let changes = try sync.reconcile(listing: [
            entry("alpha", ourHostFile), entry("beta", peerHostFile(vpn: "172.16.0.2")),
            entry("gamma", peerHostFile(vpn: "172.16.0.3")),
        ])
        XCTAssertEqual(changes, PeerChanges(reloaded: ["beta", "gamma"], removed: [], connectTo: ["beta", "gamma"]))
        XCTAssertEqual(host("beta"), peerHostFile(vpn: "172.16.0.2"))
        XCTAssertEqual(sync.peers, ["beta", "gamma"])
        XCTAssertTrue(readText(writer.directory + "/tinc.conf")?.contains("ConnectTo = gamma\n") ?? false)
        XCTAssertFalse(sync.ourConfigMissing)
        // Our own host file is ours to write, not etcd's.
        XCTAssertNil(host("alpha"))
    }

    func testChangedPeerIsReloaded() throws {
        var sync = makeSync()
        _ = try sync.reconcile(listing: [entry("beta", peerHostFile(public: "192.0.2.2"))])
        let changes = try sync.reconcile(listing: [entry("beta", peerHostFile(public: "192.0.2.99"))])
        XCTAssertEqual(changes, PeerChanges(reloaded: ["beta"], removed: [], connectTo: nil))
        XCTAssertEqual(host("beta"), peerHostFile(public: "192.0.2.99"))
    }

    func testUnchangedListingChangesNothing() throws {
        var sync = makeSync()
        _ = try sync.reconcile(listing: [entry("beta", peerHostFile())])
        XCTAssertTrue(try sync.reconcile(listing: [entry("beta", peerHostFile())]).isEmpty)
    }

    func testRemovedPeerIsRemoved() throws {
        var sync = makeSync()
        _ = try sync.reconcile(listing: [entry("beta", peerHostFile()), entry("gamma", peerHostFile())])
        let changes = try sync.reconcile(listing: [entry("beta", peerHostFile())])
        XCTAssertEqual(changes, PeerChanges(reloaded: [], removed: ["gamma"], connectTo: ["beta"]))
        XCTAssertNil(host("gamma"))
    }

    func testStaleHostFileRemovedAtStart() throws {
        try writer.writeHost("old", text: peerHostFile())
        var sync = makeSync()
        let changes = try sync.reconcile(listing: [entry("beta", peerHostFile())])
        XCTAssertEqual(changes.removed, ["old"])
        XCTAssertNil(host("old"))
    }

    func testInvalidValueKeepsLastValidFile() throws {
        var sync = makeSync()
        _ = try sync.reconcile(listing: [entry("beta", peerHostFile()), entry("gamma", peerHostFile())])
        let changes = try sync.reconcile(listing: [entry("beta", "Address = 192.0.2.2\n"), entry("gamma", peerHostFile())])
        XCTAssertTrue(changes.isEmpty)
        XCTAssertEqual(host("beta"), peerHostFile())
        XCTAssertEqual(sync.peers, ["beta", "gamma"])
    }

    func testInvalidNewPeerIsNeverWritten() throws {
        var sync = makeSync()
        let changes = try sync.reconcile(listing: [entry("beta", "garbage"), entry("bad-name", peerHostFile())])
        XCTAssertTrue(changes.isEmpty)
        XCTAssertNil(host("beta"))
        XCTAssertEqual(try writer.hostNames(), [])
    }

    func testMissingOwnConfigIsFlagged() throws {
        var sync = makeSync()
        _ = try sync.reconcile(listing: [entry("beta", peerHostFile())])
        XCTAssertTrue(sync.ourConfigMissing)
        sync.ourConfigPublished()
        XCTAssertFalse(sync.ourConfigMissing)
    }

    func testEventsAddChangeAndRemove() throws {
        var sync = makeSync()
        _ = try sync.reconcile(listing: [entry("alpha", ourHostFile), entry("beta", peerHostFile())])

        var changes = try sync.apply(events: [.put(entry("gamma", peerHostFile(vpn: "172.16.0.3")))])
        XCTAssertEqual(changes, PeerChanges(reloaded: ["gamma"], removed: [], connectTo: ["beta", "gamma"]))

        changes = try sync.apply(events: [.put(entry("beta", peerHostFile(public: "198.51.100.1")))])
        XCTAssertEqual(changes, PeerChanges(reloaded: ["beta"], removed: [], connectTo: nil))

        changes = try sync.apply(events: [.delete(key: keys.configKey("beta"), revision: 99)])
        XCTAssertEqual(changes, PeerChanges(reloaded: [], removed: ["beta"], connectTo: ["gamma"]))
        XCTAssertNil(host("beta"))
    }

    func testEventWithInvalidValueChangesNothing() throws {
        var sync = makeSync()
        _ = try sync.reconcile(listing: [entry("beta", peerHostFile())])
        let changes = try sync.apply(events: [.put(entry("beta", "Subnet = 1.2.3.4/8\n"))])
        XCTAssertTrue(changes.isEmpty)
        XCTAssertEqual(host("beta"), peerHostFile())
    }

    func testPutThenDeleteInOneBatch() throws {
        var sync = makeSync()
        let changes = try sync.apply(events: [
            .put(entry("beta", peerHostFile())), .delete(key: keys.configKey("beta"), revision: 50),
        ])
        XCTAssertEqual(changes.reloaded, [])
        XCTAssertEqual(changes.removed, ["beta"])
        XCTAssertEqual(changes.connectTo, nil)
    }

    func testOwnConfigDeletedIsFlagged() throws {
        var sync = makeSync()
        _ = try sync.reconcile(listing: [entry("alpha", ourHostFile)])
        let changes = try sync.apply(events: [.delete(key: keys.configKey("alpha"), revision: 60)])
        XCTAssertTrue(changes.isEmpty)
        XCTAssertTrue(sync.ourConfigMissing)
    }
}

/// Records the calls that `PeerChanges.apply(to:)` makes, as the daemon would receive them.
final class RecordingDaemon: PeerDaemon {
    var calls: [String] = []

    func reloadPeer(_ name: String) { calls.append("reloadPeer \(name)") }
    func removePeer(_ name: String) { calls.append("removePeer \(name)") }
    func setConnectTo(_ names: [String]) { calls.append("setConnectTo \(names.joined(separator: ","))") }
}

final class DaemonCallTests: XCTestCase {
    func testChangesBecomeDaemonCalls() {
        let daemon = RecordingDaemon()
        PeerChanges(reloaded: ["beta", "delta"], removed: ["gamma"], connectTo: ["beta", "delta"]).apply(to: daemon)
        XCTAssertEqual(daemon.calls, ["removePeer gamma", "reloadPeer beta", "reloadPeer delta", "setConnectTo beta,delta"])
    }

    func testUnchangedConnectToIsNotSent() {
        let daemon = RecordingDaemon()
        PeerChanges(reloaded: ["beta"]).apply(to: daemon)
        XCTAssertEqual(daemon.calls, ["reloadPeer beta"])
    }

    func testEmptyConnectToIsSent() {
        let daemon = RecordingDaemon()
        let changes = PeerChanges(removed: ["beta"], connectTo: [])
        XCTAssertFalse(changes.isEmpty)
        changes.apply(to: daemon)
        XCTAssertEqual(daemon.calls, ["removePeer beta", "setConnectTo "])
    }

    func testSyncChangesBecomeDaemonCalls() throws {
        let root = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(root) }
        quietLog()
        let keys = EtcdKeys(network: "n")
        let writer = ConfigWriter(directory: root)
        try writer.prepare()
        var sync = PeerSync(myself: "alpha", keys: keys, writer: writer,
                            nodeFiles: NodeFiles(name: "alpha", interface: "tun0", port: 655,
                                                 vpnAddress: IPv4Address("10.0.0.1")!, network: IPv4Network("10.0.0.0/24")!,
                                                 connectTo: []),
                            ourHostFile: "", connectToCount: 3)
        let daemon = RecordingDaemon()
        try sync.reconcile(listing: [
            EtcdKeyValue(key: keys.configKey("beta"), value: peerHostFile(vpn: "10.0.0.2"), modifiedRevision: 2),
            EtcdKeyValue(key: keys.configKey("gamma"), value: peerHostFile(vpn: "10.0.0.3"), modifiedRevision: 3),
        ]).apply(to: daemon)
        try sync.apply(events: [
            .put(EtcdKeyValue(key: keys.configKey("beta"), value: peerHostFile(public: "192.0.2.77", vpn: "10.0.0.2"),
                              modifiedRevision: 4)),
            .delete(key: keys.configKey("gamma"), revision: 5),
        ]).apply(to: daemon)
        XCTAssertEqual(daemon.calls, [
            "reloadPeer beta", "reloadPeer gamma", "setConnectTo beta,gamma",
            "removePeer gamma", "reloadPeer beta", "setConnectTo beta",
        ])
    }
}
