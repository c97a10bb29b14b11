import Foundation
import XCTest
@testable import Etcd

/// EtcdV3Store against an etcd 3.4 with the v2 API off, its default.
final class EtcdV3StoreTests: XCTestCase {
    private static let servers = EtcdServerPool()
    private var server: EtcdServer!
    private var store: EtcdV3Store!

    override func setUpWithError() throws {
        server = try Self.servers.server("v3", enableV2: false)
        store = EtcdV3Store(endpoints: [server.clientURL])
    }

    override class func tearDown() {
        servers.stopAll()
        super.tearDown()
    }

    func testCreateOnlyWhenAbsent() throws { try StoreChecks.createOnlyWhenAbsent(store) }
    func testListReturnsValuesAndRevision() throws { try StoreChecks.listReturnsValuesAndRevision(store) }
    func testPutGetDelete() throws { try StoreChecks.putGetDelete(store) }
    func testRefreshKeepsExpiringKey() throws { try StoreChecks.refreshKeepsExpiringKey(store) }
    func testRefreshAfterExpiryIsNotFound() throws { try StoreChecks.refreshAfterExpiryIsNotFound(store) }
    func testWatchSeesPutAfterListing() throws { try StoreChecks.watchSeesPutAfterListing(store) }
    func testWatchSeesDelete() throws { try StoreChecks.watchSeesDelete(store) }
    func testWatchTimesOutWhenQuiet() throws { try StoreChecks.watchTimesOutWhenQuiet(store) }
    func testConcurrentCalls() throws { try StoreChecks.concurrentCalls(store) }

    func testHealthy() {
        XCTAssertTrue(store.isHealthy())
        XCTAssertEqual(store.apiVersion, "v3")
    }

    func testExpiringKeyHasLease() throws {
        let key = StoreChecks.uniquePrefix("lease") + "node"
        let lease = try store.putExpiring(key, value: "x", ttl: 5)
        XCTAssertNotNil(lease.leaseID)
        XCTAssertEqual(lease.ttl, 5)
    }

    func testWatchBelowCompactionIsHistoryLost() throws {
        let prefix = StoreChecks.uniquePrefix("compaction")
        for index in 0..<3 {
            try store.put(prefix + "node", value: String(index))
        }
        let listing = try store.list(prefix: prefix)
        try server.postV3("/v3/kv/compaction", ["revision": String(listing.revision)])

        XCTAssertEqual(try store.watch(prefix: prefix, fromRevision: listing.revision - 1, timeout: 3), .historyLost)
        // The compacted revision itself is still watchable.
        XCTAssertEqual(try store.watch(prefix: prefix, fromRevision: listing.revision + 1, timeout: 0.5), .timedOut)
    }

    func testEventsOfOneTransactionComeTogether() throws {
        let prefix = StoreChecks.uniquePrefix("batch")
        let listing = try store.list(prefix: prefix)
        let put: (String) -> [String: Any] = { name in
            ["request_put": ["key": V3Encoding.base64(prefix + name), "value": V3Encoding.base64(name)]]
        }
        try server.postV3("/v3/kv/txn", ["success": [put("a"), put("b")]])

        let result = try store.watch(prefix: prefix, fromRevision: listing.revision + 1, timeout: 3)
        guard case .events(let events, let nextRevision) = result else { return XCTFail("got \(result)") }
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(nextRevision, listing.revision + 2)
    }

    /// With auth on and a token TTL of 1 s, the store authenticates again when etcd rejects
    /// its expired token.
    func testTokenAuthAndRenewal() throws {
        let authServer = try Self.servers.server("v3auth", enableV2: false, extraArguments: ["--auth-token-ttl", "1"])
        try authServer.postV3("/v3/auth/user/add", ["name": "root", "password": "rootpw"])
        try authServer.postV3("/v3/auth/role/add", ["name": "root"])
        try authServer.postV3("/v3/auth/user/grant", ["user": "root", "role": "root"])
        try authServer.postV3("/v3/auth/enable", [:])

        let key = StoreChecks.uniquePrefix("auth") + "node"
        let store = try EtcdConnection.connect(endpoints: [authServer.clientURL], api: .v3,
                                               username: "root", password: "rootpw")
        try store.put(key, value: "first")
        let firstToken = (store as? EtcdV3Store)?.loadToken()
        XCTAssertNotNil(firstToken)

        Thread.sleep(forTimeInterval: 2.5)
        XCTAssertEqual(try store.get(key)?.value, "first", "request after the token expired")
        XCTAssertNotEqual((store as? EtcdV3Store)?.loadToken(), firstToken, "the expired token was not replaced")
        let listing = try store.list(prefix: key)
        XCTAssertEqual(try store.watch(prefix: key, fromRevision: listing.revision + 1, timeout: 0.5), .timedOut)

        let anonymous = EtcdV3Store(endpoints: [authServer.clientURL])
        XCTAssertThrowsError(try anonymous.get(key)) { error in
            guard case .server? = error as? EtcdError else { return XCTFail("got \(error)") }
        }
        XCTAssertThrowsError(try EtcdConnection.connect(endpoints: [authServer.clientURL], api: .v3,
                                                        username: "root", password: "wrong")) { error in
            guard case .server? = error as? EtcdError else { return XCTFail("got \(error)") }
        }
    }
}
