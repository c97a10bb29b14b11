/// One key and its value as stored in etcd.
public struct EtcdKeyValue: Sendable, Equatable {
    /// The full key, e.g. "/tinc-vpn.org/automatic-tinc/configs/alpha".
    public var key: String
    public var value: String
    /// v3 mod_revision, or the v2 modifiedIndex.
    public var modifiedRevision: Int64

    public init(key: String, value: String, modifiedRevision: Int64) {
        self.key = key
        self.value = value
        self.modifiedRevision = modifiedRevision
    }
}

/// A change seen by a watch.
public enum EtcdEvent: Sendable, Equatable {
    case put(EtcdKeyValue)
    /// The key was deleted or, for a key with a TTL or lease, expired.
    case delete(key: String, revision: Int64)
}

/// The result of one call to `watch`.
public enum EtcdWatchResult: Sendable, Equatable {
    /// Changes at or after the requested revision; continue from `nextRevision`.
    case events([EtcdEvent], nextRevision: Int64)
    /// Nothing changed before the call's timeout (v2: an empty long-poll response). Watch again
    /// from the same revision.
    case timedOut
    /// The history at the requested revision is gone (v2 "event index cleared", v3 compaction):
    /// list the prefix again and watch from the revision that listing returns.
    case historyLost
}

/// The etcd operations automatic-tinc needs, the same for the v2 keys API and the v3 API.
/// Every method blocks the calling thread; none may be called from the daemon's event loop.
public protocol EtcdStore: AnyObject, Sendable {
    /// "v2" or "v3", for logs.
    var apiVersion: String { get }

    /// True when the cluster passes its health check.
    func isHealthy() -> Bool

    /// Every key under `prefix` (recursively) and the store revision the listing reflects; watch
    /// from `revision + 1` to see every later change.
    func list(prefix: String) throws(EtcdError) -> (values: [EtcdKeyValue], revision: Int64)

    func get(_ key: String) throws(EtcdError) -> EtcdKeyValue?

    func put(_ key: String, value: String) throws(EtcdError)

    /// Creates `key` only if it does not exist (v2 prevExist=false, v3 a transaction comparing
    /// create_revision with 0). Returns false when the key already exists.
    func create(_ key: String, value: String) throws(EtcdError) -> Bool

    /// Deletes `key`; deleting a missing key is not an error.
    func delete(_ key: String) throws(EtcdError)

    /// Writes `key` so that it disappears `ttl` seconds after the last `refresh` (v2 TTL, v3 lease).
    func putExpiring(_ key: String, value: String, ttl: Int) throws(EtcdError) -> EtcdLease

    /// Extends an expiring key by its TTL. Throws `.notFound` when it already expired.
    func refresh(_ lease: EtcdLease) throws(EtcdError)

    /// Waits up to `timeout` seconds for changes under `prefix` at or after `fromRevision`.
    func watch(prefix: String, fromRevision: Int64, timeout: Double) throws(EtcdError) -> EtcdWatchResult
}

/// An expiring key: the v3 lease ID, or the v2 key, value and TTL to write again.
public struct EtcdLease: Sendable, Equatable {
    public var key: String
    public var value: String
    public var ttl: Int
    public var leaseID: Int64?

    public init(key: String, value: String, ttl: Int, leaseID: Int64?) {
        self.key = key
        self.value = value
        self.ttl = ttl
        self.leaseID = leaseID
    }
}

public enum EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No endpoint could be reached (connection refused, timeout, DNS).
    case unreachable(String)
    /// The key does not exist where the operation needs it.
    case notFound(String)
    /// etcd returned an error: HTTP status and etcd's message.
    case server(status: Int, message: String)
    /// The answer could not be parsed; never taken as an empty result.
    case malformed(String)

    public var description: String {
        switch self {
        case .unreachable(let detail): return "etcd is unreachable: \(detail)"
        case .notFound(let key): return "etcd key \(key) not found"
        case .server(let status, let message): return "etcd answered HTTP \(status): \(message)"
        case .malformed(let detail): return "etcd sent an answer that could not be parsed: \(detail)"
        }
    }
}
