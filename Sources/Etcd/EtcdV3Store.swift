import Foundation
import Synchronization

/// `EtcdStore` over the JSON gateway of etcd's v3 API (`/v3/...`, etcd 3.4). Keys and values
/// travel base64-encoded, and int64 fields as JSON strings. With a user name and password the
/// store gets a token from `/v3/auth/authenticate` and sends it in the `Authorization` header.
public final class EtcdV3Store: EtcdStore {
    public let apiVersion = "v3"
    let http: HTTPClient
    let username: String?
    let password: String?
    /// The auth token; nil before the first authentication or after etcd rejected it.
    private let token = Mutex<String?>(nil)

    init(http: HTTPClient, username: String?, password: String?) {
        self.http = http
        self.username = username
        self.password = password
    }

    public convenience init(endpoints: [String], tls: EtcdTLS? = nil, username: String? = nil,
                            password: String? = nil) {
        self.init(http: HTTPClient(endpoints: endpoints, tls: tls), username: username, password: password)
    }

    func loadToken() -> String? {
        token.withLock { $0 }
    }

    func storeToken(_ newToken: String?) {
        token.withLock { $0 = newToken }
    }

    public func isHealthy() -> Bool {
        http.isHealthy()
    }

    public func list(prefix: String) throws(EtcdError) -> (values: [EtcdKeyValue], revision: Int64) {
        let range = V3Encoding.prefixRange(prefix)
        let response = try call("/v3/kv/range", ["key": range.key, "range_end": range.rangeEnd])

        var values: [EtcdKeyValue] = []
        for kv in try response.objects("kvs") ?? [] {
            values.append(try keyValue(kv))
        }
        return (values, try revision(response))
    }

    public func get(_ key: String) throws(EtcdError) -> EtcdKeyValue? {
        let response = try call("/v3/kv/range", ["key": V3Encoding.base64(key)])
        guard let kv = try response.objects("kvs")?.first else { return nil }
        return try keyValue(kv)
    }

    public func put(_ key: String, value: String) throws(EtcdError) {
        _ = try call("/v3/kv/put", ["key": V3Encoding.base64(key), "value": V3Encoding.base64(value)])
    }

    /// Writes `key` in a transaction that succeeds only while its create_revision is 0, which
    /// is the case only for a key that does not exist.
    public func create(_ key: String, value: String) throws(EtcdError) -> Bool {
        let encodedKey = V3Encoding.base64(key)
        let response = try call("/v3/kv/txn", [
            "compare": [["key": encodedKey, "target": "CREATE", "create_revision": "0"]],
            "success": [["request_put": ["key": encodedKey, "value": V3Encoding.base64(value)]]],
        ])
        // The gateway leaves out fields with default values, so a failed compare has no
        // "succeeded" field at all.
        return try response.bool("succeeded") ?? false
    }

    public func delete(_ key: String) throws(EtcdError) {
        _ = try call("/v3/kv/deleterange", ["key": V3Encoding.base64(key)])
    }

    /// Grants a lease of `ttl` seconds and writes `key` attached to it. etcd 3.4 raises a TTL
    /// below its minimum (2 s with the default heartbeat and election timeout) to that minimum.
    public func putExpiring(_ key: String, value: String, ttl: Int) throws(EtcdError) -> EtcdLease {
        let grant = try call("/v3/lease/grant", ["TTL": String(ttl)])
        guard let leaseID = try grant.int64("ID") else { throw .malformed("lease grant returned no ID") }

        _ = try call("/v3/kv/put", [
            "key": V3Encoding.base64(key),
            "value": V3Encoding.base64(value),
            "lease": String(leaseID),
        ])
        return EtcdLease(key: key, value: value, ttl: ttl, leaseID: leaseID)
    }

    /// Sends one keepalive for the lease. etcd returns TTL 0 for an expired or revoked lease,
    /// which the gateway leaves out, so both mean `.notFound`.
    public func refresh(_ lease: EtcdLease) throws(EtcdError) {
        guard let leaseID = lease.leaseID else { throw .notFound(lease.key) }

        let reader = V3StreamReader(kind: .single)
        let finished = try callStream("/v3/lease/keepalive", ["ID": String(leaseID)], timeout: http.requestTimeout,
                                      reader: reader)
        guard let result = reader.result else {
            if !finished { throw .unreachable("lease keepalive for \(lease.key) timed out") }
            throw .malformed("lease keepalive for \(lease.key) returned no result")
        }
        let ttl = try result.int64("TTL") ?? 0
        if ttl <= 0 { throw .notFound(lease.key) }
    }

    public func watch(prefix: String, fromRevision: Int64, timeout: Double) throws(EtcdError) -> EtcdWatchResult {
        let range = V3Encoding.prefixRange(prefix)
        let request: [String: Any] = ["create_request": [
            "key": range.key, "range_end": range.rangeEnd, "start_revision": String(fromRevision),
        ]]

        let reader = V3StreamReader(kind: .watch)
        let finished = try callStream("/v3/watch", request, timeout: timeout, reader: reader)
        if let result = reader.watchResult { return result }

        // A quiet watch ends at the curl timeout. A stream that etcd closed by itself (etcd
        // stopping, a proxy timeout) is an error, because `.timedOut` would make a caller
        // watch again at once.
        if !finished { return .timedOut }
        throw .unreachable("etcd closed the watch stream on \(prefix) without an event")
    }

    // MARK: - Key-value fields

    private func keyValue(_ kv: JSONObject) throws(EtcdError) -> EtcdKeyValue {
        guard let key = try kv.string("key"), let revision = try kv.int64("mod_revision") else {
            throw .malformed("key-value lacks key or mod_revision")
        }
        // An empty value is a default, which the gateway leaves out.
        let value = try kv.string("value") ?? ""
        return EtcdKeyValue(key: try V3Encoding.decodeBase64(key, field: "key"),
                            value: try V3Encoding.decodeBase64(value, field: "value"),
                            modifiedRevision: revision)
    }

    private func revision(_ response: JSONObject) throws(EtcdError) -> Int64 {
        guard let revision = try response.object("header")?.int64("revision") else {
            throw .malformed("response has no header.revision")
        }
        return revision
    }
}
