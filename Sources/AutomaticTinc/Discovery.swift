import Etcd
import Foundation
import TincBase

/// The discovery thread: watches `configs/` and hands every change to the daemon, refreshes the
/// liveness key and checks that our address is still ours.
///
/// When etcd cannot be reached, the daemon keeps running with the peers it has. The thread
/// retries with a growing delay and lists everything again once a request succeeds.
public struct Discovery: Sendable {
    public let store: any EtcdStore
    public let keys: EtcdKeys
    public let registration: AddressRegistration
    public let address: IPv4Address
    public let liveness: LivenessKey
    public let controller: any PeerController
    public let stopFlag: StopFlag
    /// The state after the startup listing; the thread continues from it.
    public let initialSync: PeerSync
    /// The revision of the startup listing.
    public let listingRevision: Int64

    public init(store: any EtcdStore, keys: EtcdKeys, registration: AddressRegistration, address: IPv4Address,
                liveness: LivenessKey, controller: any PeerController, stopFlag: StopFlag, initialSync: PeerSync,
                listingRevision: Int64) {
        self.store = store
        self.keys = keys
        self.registration = registration
        self.address = address
        self.liveness = liveness
        self.controller = controller
        self.stopFlag = stopFlag
        self.initialSync = initialSync
        self.listingRevision = listingRevision
    }

    /// Starts `run()` on a new thread.
    public func start() {
        let thread = Thread { self.run() }
        thread.name = "discovery"
        thread.start()
    }

    /// Loops until `stopFlag` is set.
    public func run() {
        var state = LoopState(sync: initialSync, revision: listingRevision + 1)
        let clock = ContinuousClock()
        var nextHeartbeat = clock.now + LivenessKey.refreshInterval

        while !stopFlag.isStopped {
            do {
                if state.needsFullRead {
                    try readAll(&state)
                }
                if clock.now >= nextHeartbeat {
                    try heartbeat(&state)
                    nextHeartbeat = clock.now + LivenessKey.refreshInterval
                }

                // The watch returns at the next heartbeat at the latest, so liveness keeps its pace.
                let timeout = max(1, Double(clock.now.duration(to: nextHeartbeat).components.seconds))
                let result = try store.watch(prefix: keys.configsPrefix, fromRevision: state.revision, timeout: timeout)
                state.etcdAnswered()
                switch result {
                case .events(let events, let nextRevision):
                    let changes = try state.sync.apply(events: events)
                    if !changes.isEmpty { controller.apply(changes) }
                    state.revision = nextRevision
                    try republishIfMissing(&state)
                case .timedOut:
                    continue
                case .historyLost:
                    Log.notice("etcd no longer has the history of \(keys.configsPrefix) from revision \(state.revision), reading it again")
                    state.needsFullRead = true
                }
            } catch let error as EtcdError {
                state.etcdFailed(error)
                stopFlag.sleep(state.backoff.nextDelay())
            } catch {
                // hosts/ or tinc.conf could not be written (a full disk, say): try it all again later.
                Log.error("Could not update \(state.sync.writer.directory): \(error)")
                state.needsFullRead = true
                stopFlag.sleep(state.backoff.nextDelay())
            }
        }
        Log.info("Discovery stopped")
    }

    /// Lists `configs/` and makes hosts/ and tinc.conf match it.
    private func readAll(_ state: inout LoopState) throws {
        let listing = try store.list(prefix: keys.configsPrefix)
        state.etcdAnswered()
        let changes = try state.sync.reconcile(listing: listing.values)
        if !changes.isEmpty { controller.apply(changes) }
        state.revision = listing.revision + 1
        state.needsFullRead = false
        state.backoff.reset()
        try republishIfMissing(&state)
    }

    private func republishIfMissing(_ state: inout LoopState) throws(EtcdError) {
        guard state.sync.ourConfigMissing else { return }
        try ConfigPublisher.publish(state.sync.ourHostFile, name: state.sync.myself, keys: keys, store: store)
        state.sync.ourConfigPublished()
    }

    /// Refreshes the liveness key and checks that `addresses/N` still names us.
    private func heartbeat(_ state: inout LoopState) throws {
        try liveness.refresh()
        let check: AddressRegistration.Check
        do throws(RegistrationError) {
            check = try registration.check(address)
        } catch {
            // `check` creates no address, so only etcd failures come here.
            guard case .etcd(let etcdError) = error else { throw error }
            throw etcdError
        }
        if check != state.lastAddressCheck {
            switch check {
            case .ours:
                if state.lastAddressCheck != .recreated {
                    Log.notice("\(keys.addressKey(address)) names \(registration.name) again")
                }
            case .recreated:
                Log.warning("\(keys.addressKey(address)) was missing, registered VPN address \(address) to \(registration.name) again")
            case .owned(let owner):
                Log.error("VPN address \(address) of \(registration.name) is registered to \(owner) in etcd, so two nodes may use it; restart automatic-tinc on \(registration.name) to choose a new address")
            }
        }
        // After a re-registration the key is ours again.
        state.lastAddressCheck = check == .recreated ? .ours : check
    }
}

/// What the discovery loop carries from one pass to the next.
struct LoopState {
    var sync: PeerSync
    var revision: Int64
    var needsFullRead = false
    var backoff = Backoff()
    var lastAddressCheck = AddressRegistration.Check.ours
    /// The number of failed requests since the last successful one, so 0 while etcd is reachable.
    var failures = 0

    init(sync: PeerSync, revision: Int64) {
        self.sync = sync
        self.revision = revision
    }

    /// Logs the start of an outage once, and later failures of the same outage only at debug level 2.
    mutating func etcdFailed(_ error: EtcdError) {
        failures += 1
        if failures == 1 {
            Log.error("Lost etcd: \(error). The VPN keeps running with the last known peers; retrying")
        } else {
            Log.debug(.status, .info, "etcd still fails (attempt \(failures)): \(error)")
        }
        needsFullRead = true
    }

    mutating func etcdAnswered() {
        if failures > 0 {
            Log.notice("etcd is reachable again after \(failures) failed attempts, reading every host file again")
            failures = 0
        }
        backoff.reset()
    }
}
