import Foundation
import Synchronization
import XCTest
import Etcd

/// Checks that every `EtcdStore` must pass. EtcdV2StoreTests and EtcdV3StoreTests run each one
/// against their own etcd. Each check works under its own random prefix, so checks sharing a
/// server do not see each other's keys.
enum StoreChecks {
    static func uniquePrefix(_ name: String) -> String {
        "/tests/\(name)-\(UUID().uuidString.prefix(8))/"
    }

    static func createOnlyWhenAbsent(_ store: any EtcdStore) throws {
        let key = uniquePrefix("create") + "node"

        XCTAssertTrue(try store.create(key, value: "first"), "first create of \(key)")
        XCTAssertFalse(try store.create(key, value: "second"), "second create of \(key)")
        XCTAssertEqual(try store.get(key)?.value, "first")
    }

    static func listReturnsValuesAndRevision(_ store: any EtcdStore) throws {
        let prefix = uniquePrefix("list")
        try store.put(prefix + "a", value: "1")
        try store.put(prefix + "dir/b", value: "2")
        try store.put(prefix + "empty", value: "")
        // Shares the prefix's text but not its trailing "/", so neither API may list it.
        try store.put(String(prefix.dropLast()) + "-outside", value: "x")

        let listing = try store.list(prefix: prefix)
        let sorted = listing.values.sorted { $0.key < $1.key }
        XCTAssertEqual(sorted.map(\.key), [prefix + "a", prefix + "dir/b", prefix + "empty"])
        XCTAssertEqual(sorted.map(\.value), ["1", "2", ""])
        let newest = sorted.map(\.modifiedRevision).max() ?? 0
        XCTAssertGreaterThan(newest, 0)
        XCTAssertGreaterThanOrEqual(listing.revision, newest)

        let missing = try store.list(prefix: uniquePrefix("missing"))
        XCTAssertEqual(missing.values, [])
        XCTAssertGreaterThanOrEqual(missing.revision, listing.revision, "a missing prefix still has a revision")
    }

    static func putGetDelete(_ store: any EtcdStore) throws {
        // Characters that URL, form and base64 encoding must carry unchanged.
        let key = uniquePrefix("kv") + "name with space&=+%?#ü"
        let value = "value & = + % ü\nsecond line"

        try store.put(key, value: value)
        let first = try XCTUnwrap(try store.get(key))
        XCTAssertEqual(first.key, key)
        XCTAssertEqual(first.value, value)

        try store.put(key, value: "changed")
        let second = try XCTUnwrap(try store.get(key))
        XCTAssertEqual(second.value, "changed")
        XCTAssertGreaterThan(second.modifiedRevision, first.modifiedRevision)

        try store.delete(key)
        XCTAssertNil(try store.get(key))
        XCTAssertNoThrow(try store.delete(key), "deleting a missing key")
        XCTAssertNil(try store.get(uniquePrefix("never") + "written"))
    }

    /// A key with a 2 s TTL, refreshed after 1.3 s, still exists 1.3 s later.
    static func refreshKeepsExpiringKey(_ store: any EtcdStore) throws {
        let key = uniquePrefix("refresh") + "node"
        let lease = try store.putExpiring(key, value: "alive", ttl: 2)
        XCTAssertEqual(lease.key, key)
        XCTAssertEqual(try store.get(key)?.value, "alive")

        Thread.sleep(forTimeInterval: 1.3)
        try store.refresh(lease)
        Thread.sleep(forTimeInterval: 1.3)
        XCTAssertEqual(try store.get(key)?.value, "alive", "key expired although it was refreshed")
    }

    static func refreshAfterExpiryIsNotFound(_ store: any EtcdStore) throws {
        let key = uniquePrefix("expiry") + "node"
        let lease = try store.putExpiring(key, value: "short", ttl: 1)

        // etcd checks expiry every 500 ms, and etcd 3.4 raises a lease TTL of 1 s to 2 s.
        let deadline = Date().addingTimeInterval(8)
        while try store.get(key) != nil && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTAssertNil(try store.get(key), "key with a 1 s TTL still exists after 8 s")

        XCTAssertThrowsError(try store.refresh(lease)) { error in
            XCTAssertEqual(error as? EtcdError, .notFound(key))
        }
    }

    /// A watch started after a listing returns a put that another thread makes while it waits.
    static func watchSeesPutAfterListing(_ store: any EtcdStore) throws {
        let prefix = uniquePrefix("watch-put")
        let key = prefix + "node"
        let listing = try store.list(prefix: prefix)

        let writer = DispatchGroup()
        let writeError = Mutex<String?>(nil)
        DispatchQueue.global().async(group: writer) {
            Thread.sleep(forTimeInterval: 0.3)
            do {
                try store.put(key, value: "new")
            } catch {
                writeError.withLock { $0 = "\(error)" }
            }
        }

        let started = Date()
        let result = try store.watch(prefix: prefix, fromRevision: listing.revision + 1, timeout: 5)
        let elapsed = Date().timeIntervalSince(started)
        writer.wait()
        XCTAssertNil(writeError.withLock { $0 })

        guard case .events(let events, let nextRevision) = result else {
            return XCTFail("expected the put, got \(result)")
        }
        guard case .put(let kv)? = events.first else {
            return XCTFail("expected a put event, got \(events)")
        }
        XCTAssertEqual(kv.key, key)
        XCTAssertEqual(kv.value, "new")
        XCTAssertGreaterThan(kv.modifiedRevision, listing.revision)
        XCTAssertEqual(nextRevision, kv.modifiedRevision + 1)
        XCTAssertLessThan(elapsed, 4, "watch returned only after \(elapsed) s")

        // Nothing happened after the put, so watching from nextRevision waits.
        XCTAssertEqual(try store.watch(prefix: prefix, fromRevision: nextRevision, timeout: 0.5), .timedOut)
    }

    static func watchSeesDelete(_ store: any EtcdStore) throws {
        let prefix = uniquePrefix("watch-delete")
        let key = prefix + "node"
        try store.put(key, value: "doomed")
        let listing = try store.list(prefix: prefix)
        try store.delete(key)

        let result = try store.watch(prefix: prefix, fromRevision: listing.revision + 1, timeout: 3)
        guard case .events(let events, let nextRevision) = result else {
            return XCTFail("expected the delete, got \(result)")
        }
        guard case .delete(let deletedKey, let revision)? = events.first else {
            return XCTFail("expected a delete event, got \(events)")
        }
        XCTAssertEqual(deletedKey, key)
        XCTAssertGreaterThan(revision, listing.revision)
        XCTAssertEqual(nextRevision, revision + 1)
    }

    static func watchTimesOutWhenQuiet(_ store: any EtcdStore) throws {
        let prefix = uniquePrefix("watch-quiet")
        let listing = try store.list(prefix: prefix)

        let started = Date()
        let result = try store.watch(prefix: prefix, fromRevision: listing.revision + 1, timeout: 1)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(result, .timedOut)
        XCTAssertGreaterThanOrEqual(elapsed, 0.9)
        XCTAssertLessThan(elapsed, 3, "a 1 s watch took \(elapsed) s")
    }

    /// Eight threads write and read through one store at once.
    static func concurrentCalls(_ store: any EtcdStore) throws {
        let prefix = uniquePrefix("threads")
        let failures = Mutex<[String]>([])

        DispatchQueue.concurrentPerform(iterations: 8) { index in
            do {
                try store.put(prefix + "\(index)", value: "value \(index)")
                let read = try store.get(prefix + "\(index)")
                if read?.value != "value \(index)" {
                    failures.withLock { $0.append("key \(index) read back as \(String(describing: read))") }
                }
            } catch {
                failures.withLock { $0.append("key \(index): \(error)") }
            }
        }

        XCTAssertEqual(failures.withLock { $0 }, [])
        XCTAssertEqual(try store.list(prefix: prefix).values.count, 8)
    }
}
