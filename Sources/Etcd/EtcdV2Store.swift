import Foundation

/// `EtcdStore` over etcd's v2 keys API (`/v2/keys/...`), which etcd 3.4 serves with
/// `--enable-v2=true`. Credentials, when given, go out as HTTP basic auth.
///
/// A v2 prefix is a directory: listing or watching "/a/b" covers "/a/b" and "/a/b/..." but not
/// "/a/bc", unlike a v3 prefix. Callers that end prefixes with "/" see the same keys on both.
public final class EtcdV2Store: EtcdStore {
    public let apiVersion = "v2"
    let http: HTTPClient

    init(http: HTTPClient) {
        self.http = http
    }

    public convenience init(endpoints: [String], tls: EtcdTLS? = nil, username: String? = nil,
                            password: String? = nil) {
        self.init(http: HTTPClient(endpoints: endpoints, tls: tls, username: username, password: password))
    }

    public func isHealthy() -> Bool {
        http.isHealthy()
    }

    public func list(prefix: String) throws(EtcdError) -> (values: [EtcdKeyValue], revision: Int64) {
        let reply = try send(.get, prefix, query: "?recursive=true")

        // errorCode 100: the directory does not exist yet, which is an empty listing.
        if reply.errorCode == 100 {
            return ([], try reply.requireIndex())
        }
        try reply.requireSuccess()
        guard let node = try reply.body?.object("node") else {
            throw .malformed("listing of \(prefix) has no node")
        }

        var values: [EtcdKeyValue] = []
        try collectValues(node, into: &values)
        return (values, try reply.requireIndex())
    }

    public func get(_ key: String) throws(EtcdError) -> EtcdKeyValue? {
        let reply = try send(.get, key)
        if reply.errorCode == 100 { return nil }
        try reply.requireSuccess()
        guard let node = try reply.body?.object("node") else {
            throw .malformed("response for \(key) has no node")
        }

        // A directory has no value of its own.
        if try node.bool("dir") == true { return nil }
        return try keyValue(node)
    }

    public func put(_ key: String, value: String) throws(EtcdError) {
        let reply = try send(.put, key, form: [("value", value)])
        try reply.requireSuccess()
    }

    public func create(_ key: String, value: String) throws(EtcdError) -> Bool {
        let reply = try send(.put, key, query: "?prevExist=false", form: [("value", value)])

        // errorCode 105 "Key already exists", sent with HTTP 412.
        if reply.errorCode == 105 { return false }
        try reply.requireSuccess()
        return true
    }

    public func delete(_ key: String) throws(EtcdError) {
        let reply = try send(.delete, key)
        if reply.errorCode == 100 { return }
        try reply.requireSuccess()
    }

    public func putExpiring(_ key: String, value: String, ttl: Int) throws(EtcdError) -> EtcdLease {
        let reply = try send(.put, key, form: [("value", value), ("ttl", String(ttl))])
        try reply.requireSuccess()
        return EtcdLease(key: key, value: value, ttl: ttl, leaseID: nil)
    }

    /// Resets the key's TTL without changing its value (`refresh=true`, which must come without
    /// a value and does not wake watchers).
    public func refresh(_ lease: EtcdLease) throws(EtcdError) {
        let form = [("ttl", String(lease.ttl)), ("refresh", "true"), ("prevExist", "true")]
        let reply = try send(.put, lease.key, form: form)
        if reply.errorCode == 100 { throw .notFound(lease.key) }
        try reply.requireSuccess()
    }

    /// Long-polls for the first change under `prefix` at or after `fromRevision`. The v2 API
    /// returns one event per call.
    public func watch(prefix: String, fromRevision: Int64, timeout: Double) throws(EtcdError) -> EtcdWatchResult {
        let query = "?wait=true&recursive=true&waitIndex=\(fromRevision)"
        let response: HTTPResponse
        do {
            response = try http.send(HTTPRequest(method: .get, path: "/v2/keys" + URLEncoding.keyPath(prefix) + query,
                                                 timeout: timeout))
        } catch .timedOut {
            return .timedOut
        } catch .emptyReply {
            // etcd, or a proxy in front of it, ended the long poll without an event.
            return .timedOut
        } catch {
            throw error.etcdError
        }

        if response.status == 200 && response.body.isEmpty { return .timedOut }
        let reply = try V2Reply(response)

        // errorCode 401 "The event in requested index is outdated and cleared": the v2 store keeps
        // only its last 1000 events.
        if reply.errorCode == 401 { return .historyLost }
        try reply.requireSuccess()
        return try watchResult(reply)
    }

    private func watchResult(_ reply: V2Reply) throws(EtcdError) -> EtcdWatchResult {
        guard let body = reply.body, let action = try body.string("action"), let node = try body.object("node"),
              let key = try node.string("key"), let revision = try node.int64("modifiedIndex") else {
            throw .malformed("watch response lacks action, node key or modifiedIndex")
        }

        let event: EtcdEvent
        switch action {
        case "set", "create", "update", "compareAndSwap":
            // Creating a directory changes no value; skip it but move past its index.
            if try node.bool("dir") == true { return .events([], nextRevision: revision + 1) }
            event = .put(try keyValue(node))
        case "delete", "expire", "compareAndDelete":
            event = .delete(key: key, revision: revision)
        default:
            throw .malformed("unknown watch action \(action) on \(key)")
        }
        return .events([event], nextRevision: revision + 1)
    }

    // MARK: - Nodes

    /// Appends every non-directory node under `node`, depth first.
    private func collectValues(_ node: JSONObject, into values: inout [EtcdKeyValue]) throws(EtcdError) {
        if try node.bool("dir") == true {
            for child in try node.objects("nodes") ?? [] {
                try collectValues(child, into: &values)
            }
        } else {
            values.append(try keyValue(node))
        }
    }

    private func keyValue(_ node: JSONObject) throws(EtcdError) -> EtcdKeyValue {
        guard let key = try node.string("key"), let revision = try node.int64("modifiedIndex") else {
            throw .malformed("node lacks key or modifiedIndex")
        }
        return EtcdKeyValue(key: key, value: try node.string("value") ?? "", modifiedRevision: revision)
    }

    // MARK: - Requests

    private func send(_ method: HTTPRequest.Method, _ key: String, query: String = "",
                      form: [(String, String)]? = nil) throws(EtcdError) -> V2Reply {
        var request = HTTPRequest(method: method, path: "/v2/keys" + URLEncoding.keyPath(key) + query,
                                  timeout: http.requestTimeout)
        if let form {
            request.body = URLEncoding.form(form)
            request.headers = ["Content-Type: application/x-www-form-urlencoded"]
        }

        let response: HTTPResponse
        do {
            response = try http.send(request)
        } catch {
            throw error.etcdError
        }
        return try V2Reply(response)
    }
}

/// One v2 response: the HTTP status, the `X-Etcd-Index` header and the JSON body, with etcd's
/// `errorCode` when the body is an error.
struct V2Reply {
    var status: Int
    var index: Int64?
    /// Nil when the body was empty.
    var body: JSONObject?
    var errorCode: Int64?
    var message: String

    init(_ response: HTTPResponse) throws(EtcdError) {
        status = response.status
        index = response.headers["x-etcd-index"].flatMap { Int64($0) }
        message = ""

        guard !response.body.isEmpty else { return }
        do {
            body = try JSONObject(parsing: response.body)
        } catch {
            // Only an error status may come with a body that is not JSON ("404 page not found"
            // when the v2 API is off).
            guard (200..<300).contains(status) else {
                message = JSONObject.excerpt(response.body)
                return
            }
            throw error
        }

        errorCode = try body?.int64("errorCode")
        if let errorCode {
            let text = try body?.string("message") ?? "unknown error"
            let cause = try body?.string("cause").map { " (\($0))" } ?? ""
            message = "errorCode \(errorCode): \(text)\(cause)"
        }
    }

    func requireSuccess() throws(EtcdError) {
        if errorCode != nil || !(200..<300).contains(status) {
            throw .server(status: status, message: message.isEmpty ? "no error message" : message)
        }
    }

    /// The store index this response reflects, from the `X-Etcd-Index` header.
    func requireIndex() throws(EtcdError) -> Int64 {
        guard let index else { throw .malformed("response has no X-Etcd-Index header") }
        return index
    }
}
