import Foundation
import XCTest
@testable import Etcd

/// API detection, dead endpoints and endpoint failover.
final class EtcdConnectionTests: XCTestCase {
    private static let servers = EtcdServerPool()
    /// Nothing listens on TCP port 1 of loopback, so connections are refused at once.
    private let deadEndpoint = "http://127.0.0.1:1"

    override class func tearDown() {
        servers.stopAll()
        super.tearDown()
    }

    func testAutoChoosesV2WhenEnabled() throws {
        let server = try Self.servers.server("with-v2", enableV2: true)
        let store = try EtcdConnection.connect(endpoints: [server.clientURL], api: .auto, tls: nil,
                                               username: nil, password: nil)
        XCTAssertEqual(store.apiVersion, "v2")
        XCTAssertTrue(store is EtcdV2Store)
    }

    func testAutoChoosesV3WhenV2Disabled() throws {
        let server = try Self.servers.server("without-v2", enableV2: false)
        let store = try EtcdConnection.connect(endpoints: [server.clientURL], api: .auto, tls: nil,
                                               username: nil, password: nil)
        XCTAssertEqual(store.apiVersion, "v3")
        XCTAssertTrue(store is EtcdV3Store)
    }

    func testExplicitChoiceSkipsDetection() throws {
        let server = try Self.servers.server("with-v2", enableV2: true)
        let store = try EtcdConnection.connect(endpoints: [server.clientURL], api: .v3, tls: nil,
                                               username: nil, password: nil)
        XCTAssertEqual(store.apiVersion, "v3")
    }

    /// The v2 store on a cluster without the v2 API fails with the 404; it never lists nothing.
    func testV2StoreOnV3OnlyClusterFails() throws {
        let server = try Self.servers.server("without-v2", enableV2: false)
        let store = EtcdV2Store(endpoints: [server.clientURL])
        XCTAssertThrowsError(try store.list(prefix: "/tests/")) { error in
            guard case .server(let status, _)? = error as? EtcdError else { return XCTFail("got \(error)") }
            XCTAssertEqual(status, 404)
        }
    }

    func testUnreachableEndpointFailsQuickly() throws {
        let started = Date()
        XCTAssertThrowsError(try EtcdConnection.connect(endpoints: [deadEndpoint], api: .auto, tls: nil,
                                                        username: nil, password: nil)) { error in
            guard case .unreachable(let detail)? = error as? EtcdError else { return XCTFail("got \(error)") }
            XCTAssertTrue(detail.contains(deadEndpoint), detail)
        }

        for store in [EtcdV2Store(endpoints: [deadEndpoint]), EtcdV3Store(endpoints: [deadEndpoint])] as [any EtcdStore] {
            XCTAssertFalse(store.isHealthy())
            XCTAssertThrowsError(try store.list(prefix: "/tests/")) { error in
                guard case .unreachable? = error as? EtcdError else { return XCTFail("\(store.apiVersion): got \(error)") }
            }
            // A dead endpoint is an error, not a quiet watch.
            XCTAssertThrowsError(try store.watch(prefix: "/tests/", fromRevision: 1, timeout: 5)) { error in
                guard case .unreachable? = error as? EtcdError else { return XCTFail("\(store.apiVersion): got \(error)") }
            }
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
    }

    func testSecondEndpointUsedWhenFirstIsDead() throws {
        let v2Server = try Self.servers.server("with-v2", enableV2: true)
        let v3Server = try Self.servers.server("without-v2", enableV2: false)

        for (server, api) in [(v2Server, EtcdAPIChoice.v2), (v3Server, .v3)] {
            let store = try EtcdConnection.connect(endpoints: [deadEndpoint, server.clientURL], api: api, tls: nil,
                                                   username: nil, password: nil)
            let key = StoreChecks.uniquePrefix("failover") + "node"
            try store.put(key, value: "reached")
            XCTAssertEqual(try store.get(key)?.value, "reached", "\(api)")

            let listing = try store.list(prefix: key)
            XCTAssertEqual(try store.watch(prefix: key, fromRevision: listing.revision + 1, timeout: 0.5), .timedOut)
        }
    }

    func testWorkingEndpointIsRemembered() throws {
        let server = try Self.servers.server("with-v2", enableV2: true)
        let client = HTTPClient(endpoints: [deadEndpoint, server.clientURL])
        XCTAssertEqual(client.currentEndpoint, deadEndpoint)

        XCTAssertTrue(client.isHealthy())
        XCTAssertEqual(client.currentEndpoint, server.clientURL)
    }

    /// HTTPS with a private CA and a required client certificate: the store works with the
    /// CA and client files, and fails without the client certificate or without the CA.
    func testTLSWithClientCertificate() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try EtcdServer.start(name: "tls", enableV2: false, extraArguments: certificates.etcdArguments,
                                          clientTLS: certificates.clientTLS)
        defer { server.stop() }
        XCTAssertTrue(server.clientURL.hasPrefix("https://"))

        let store = try EtcdConnection.connect(endpoints: [server.clientURL], api: .auto, tls: certificates.clientTLS,
                                               username: nil, password: nil)
        let key = StoreChecks.uniquePrefix("tls") + "node"
        try store.put(key, value: "encrypted")
        XCTAssertEqual(try store.get(key)?.value, "encrypted")

        let withoutClientCertificate = EtcdV3Store(endpoints: [server.clientURL],
                                                   tls: EtcdTLS(caFile: certificates.caFile))
        XCTAssertThrowsError(try withoutClientCertificate.get(key)) { error in
            guard case .unreachable? = error as? EtcdError else { return XCTFail("got \(error)") }
        }
        let withoutCA = EtcdV3Store(endpoints: [server.clientURL])
        XCTAssertThrowsError(try withoutCA.get(key)) { error in
            guard case .unreachable? = error as? EtcdError else { return XCTFail("got \(error)") }
        }
    }

    /// A reused handle must not report a refused connection as sent because its previous
    /// transfer got that far; otherwise no other endpoint would be tried.
    func testRefusedConnectionOnReusedHandleIsNotSent() throws {
        let server = try Self.servers.server("with-v2", enableV2: true)
        let handle = try XCTUnwrap(CurlEasy())
        let settings = CurlSettings(connectTimeout: 1)
        let health = HTTPRequest(method: .get, path: "/health", timeout: 2)

        guard case .success(let response) = handle.perform(endpoint: server.clientURL, request: health,
                                                           settings: settings) else {
            return XCTFail("GET /health failed")
        }
        XCTAssertEqual(response.status, 200)

        guard case .failure(let failure) = handle.perform(endpoint: deadEndpoint, request: health,
                                                          settings: settings) else {
            return XCTFail("GET /health on a dead endpoint succeeded")
        }
        XCTAssertFalse(failure.requestSent)
    }

    func testEndpointsAreNormalized() {
        XCTAssertEqual(HTTPClient.normalizeEndpoint("127.0.0.1:2379"), "http://127.0.0.1:2379")
        XCTAssertEqual(HTTPClient.normalizeEndpoint(" https://127.0.0.1:2379/ "), "https://127.0.0.1:2379")
    }
}
