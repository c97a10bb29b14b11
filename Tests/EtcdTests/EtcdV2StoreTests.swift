import Foundation
import XCTest
@testable import Etcd

/// EtcdV2Store against an etcd 3.4 started with `--enable-v2=true`.
final class EtcdV2StoreTests: XCTestCase {
    private static let servers = EtcdServerPool()
    private var server: EtcdServer!
    private var store: EtcdV2Store!

    override func setUpWithError() throws {
        server = try Self.servers.server("v2", enableV2: true)
        store = EtcdV2Store(endpoints: [server.clientURL])
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
        XCTAssertEqual(store.apiVersion, "v2")
    }

    /// The v2 store keeps its last 1000 events, so 1001 writes after a listing push the
    /// listing's next index out of the history.
    func testWatchAfterHistoryOverflowIsHistoryLost() throws {
        let prefix = StoreChecks.uniquePrefix("overflow")
        try store.put(prefix + "watched", value: "before")
        let listing = try store.list(prefix: prefix)

        for index in 0..<1001 {
            try store.put(prefix + "churn", value: String(index))
        }

        XCTAssertEqual(try store.watch(prefix: prefix, fromRevision: listing.revision + 1, timeout: 3), .historyLost)
        // A new listing gives a revision to watch from again.
        let relisted = try store.list(prefix: prefix)
        XCTAssertEqual(try store.watch(prefix: prefix, fromRevision: relisted.revision + 1, timeout: 0.5), .timedOut)
    }

    func testRefreshOfMissingKeyIsNotFound() throws {
        let key = StoreChecks.uniquePrefix("refresh-missing") + "node"
        let lease = EtcdLease(key: key, value: "x", ttl: 5, leaseID: nil)
        XCTAssertThrowsError(try store.refresh(lease)) { error in
            XCTAssertEqual(error as? EtcdError, .notFound(key))
        }
    }

    /// With v2 auth on and the guest role's rights revoked, only requests with the right basic
    /// auth credentials succeed.
    func testBasicAuth() throws {
        let authServer = try Self.servers.server("v2auth", enableV2: true)
        let json = "application/json"
        try authServer.request(.put, "/v2/auth/users/root", body: Data(#"{"user":"root","password":"rootpw"}"#.utf8),
                               contentType: json)
        try authServer.request(.put, "/v2/auth/enable", body: Data(), contentType: json)
        let revoke = #"{"role":"guest","revoke":{"kv":{"read":["/*"],"write":["/*"]}}}"#
        try authServer.request(.put, "/v2/auth/roles/guest", body: Data(revoke.utf8), contentType: json,
                               username: "root", password: "rootpw")

        let key = StoreChecks.uniquePrefix("auth") + "node"
        let authorized = EtcdV2Store(endpoints: [authServer.clientURL], username: "root", password: "rootpw")
        try authorized.put(key, value: "secret")
        XCTAssertEqual(try authorized.get(key)?.value, "secret")

        let anonymous = EtcdV2Store(endpoints: [authServer.clientURL])
        XCTAssertThrowsError(try anonymous.get(key)) { error in
            guard case .server(let status, _)? = error as? EtcdError else { return XCTFail("got \(error)") }
            XCTAssertEqual(status, 401)
        }
        let wrongPassword = EtcdV2Store(endpoints: [authServer.clientURL], username: "root", password: "wrong")
        XCTAssertThrowsError(try wrongPassword.put(key, value: "x")) { error in
            guard case .server(let status, _)? = error as? EtcdError else { return XCTFail("got \(error)") }
            XCTAssertEqual(status, 401)
        }
    }
}
