import Etcd
import Foundation
@testable import AutomaticTinc

/// An in-memory `EtcdStore` with etcd's revision rules: every write gets the next revision, a
/// watch returns the events at or after its start revision, and history before
/// `compactedRevision` is gone. Tests can inject failures and act between calls.
final class FakeEtcdStore: EtcdStore, @unchecked Sendable {
    let apiVersion = "fake"

    private let condition = NSCondition()
    private var values: [String: EtcdKeyValue] = [:]
    private var history: [(revision: Int64, event: EtcdEvent)] = []
    private(set) var revision: Int64 = 1
    /// Watches from before this revision return `.historyLost`.
    var compactedRevision: Int64 = 0
    /// Every call throws this while it is set.
    var failure: EtcdError?
    /// Runs before `create` looks at the key, so a test can let another node win the race.
    var beforeCreate: ((String) -> Void)?
    /// Keys passed to `refresh` that should act as expired.
    var expired: Set<String> = []
    private(set) var calls: [String] = []
    /// Set by `close`: watches return `.timedOut` at once, so a discovery thread can notice its stop flag.
    private var closed = false

    // MARK: Test helpers

    /// Writes a key as another node would, without recording a call.
    func seed(_ key: String, _ value: String) {
        condition.lock()
        write(key, value)
        condition.unlock()
    }

    func remove(_ key: String) {
        condition.lock()
        erase(key)
        condition.unlock()
    }

    func value(_ key: String) -> String? {
        condition.lock()
        defer { condition.unlock() }
        return values[key]?.value
    }

    var keys: [String] {
        condition.lock()
        defer { condition.unlock() }
        return values.keys.sorted()
    }

    func setFailure(_ error: EtcdError?) {
        condition.lock()
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    func compact() {
        condition.lock()
        compactedRevision = revision
        history.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    var recordedCalls: [String] {
        condition.lock()
        defer { condition.unlock() }
        return calls
    }

    // MARK: EtcdStore

    func isHealthy() -> Bool { failure == nil }

    func list(prefix: String) throws(EtcdError) -> (values: [EtcdKeyValue], revision: Int64) {
        try begin("list \(prefix)")
        defer { condition.unlock() }
        let found = values.values.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }
        return (found, revision)
    }

    func get(_ key: String) throws(EtcdError) -> EtcdKeyValue? {
        try begin("get \(key)")
        defer { condition.unlock() }
        return values[key]
    }

    func put(_ key: String, value: String) throws(EtcdError) {
        try begin("put \(key)")
        defer { condition.unlock() }
        write(key, value)
    }

    func create(_ key: String, value: String) throws(EtcdError) -> Bool {
        if let beforeCreate { beforeCreate(key) }
        try begin("create \(key)")
        defer { condition.unlock() }
        if values[key] != nil { return false }
        write(key, value)
        return true
    }

    func delete(_ key: String) throws(EtcdError) {
        try begin("delete \(key)")
        defer { condition.unlock() }
        erase(key)
    }

    func putExpiring(_ key: String, value: String, ttl: Int) throws(EtcdError) -> EtcdLease {
        try begin("putExpiring \(key) ttl \(ttl)")
        defer { condition.unlock() }
        expired.remove(key)
        write(key, value)
        return EtcdLease(key: key, value: value, ttl: ttl, leaseID: 7)
    }

    func refresh(_ lease: EtcdLease) throws(EtcdError) {
        try begin("refresh \(lease.key)")
        defer { condition.unlock() }
        if expired.contains(lease.key) || values[lease.key] == nil {
            throw .notFound(lease.key)
        }
    }

    func watch(prefix: String, fromRevision: Int64, timeout: Double) throws(EtcdError) -> EtcdWatchResult {
        try begin("watch \(prefix) from \(fromRevision)")
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            if let failure { throw failure }
            if closed { return .timedOut }
            if fromRevision < compactedRevision { return .historyLost }
            let events = history.filter { $0.revision >= fromRevision && key(of: $0.event).hasPrefix(prefix) }
            if !events.isEmpty {
                return .events(events.map(\.event), nextRevision: events.last!.revision + 1)
            }
            if !condition.wait(until: deadline) { return .timedOut }
        }
    }

    // MARK: Internals (called with the lock held)

    private func begin(_ call: String) throws(EtcdError) {
        condition.lock()
        calls.append(call)
        if let failure {
            condition.unlock()
            throw failure
        }
    }

    private func write(_ key: String, _ value: String) {
        revision += 1
        let entry = EtcdKeyValue(key: key, value: value, modifiedRevision: revision)
        values[key] = entry
        history.append((revision, .put(entry)))
        condition.broadcast()
    }

    private func erase(_ key: String) {
        guard values.removeValue(forKey: key) != nil else { return }
        revision += 1
        history.append((revision, .delete(key: key, revision: revision)))
        condition.broadcast()
    }

    private func key(of event: EtcdEvent) -> String {
        switch event {
        case .put(let entry): return entry.key
        case .delete(let key, _): return key
        }
    }
}

/// Records what discovery would hand to the daemon.
final class RecordingController: PeerController, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [PeerChanges] = []

    func apply(_ changes: PeerChanges) {
        lock.lock()
        recorded.append(changes)
        lock.unlock()
    }

    var changes: [PeerChanges] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
}
