import Etcd
import Synchronization
import TincBase

/// Registration failed: etcd failed, or the VPN network has no free address left.
public enum RegistrationError: Error, CustomStringConvertible {
    case etcd(EtcdError)
    case exhausted(network: IPv4Network, registered: Int)

    public var description: String {
        switch self {
        case .etcd(let error):
            return "\(error)"
        case .exhausted(let network, let registered):
            return "No free VPN address left in \(network) (\(registered) addresses are registered); choose a larger --subnet or forget unused nodes"
        }
    }
}

/// Claims this node's VPN address in etcd (`addresses/N` = NAME) with create-if-absent, so two
/// nodes that start at once never get the same address.
public struct AddressRegistration: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// `addresses/N` still named us.
        case kept
        /// `addresses/N` was missing and was created again.
        case recreated
        /// No address was remembered, but etcd had one naming us, which was taken over.
        case reclaimed
        /// A new address was claimed for a new node.
        case allocated
        /// The remembered address belongs to another node now, so a new one was claimed.
        case moved(from: IPv4Address, owner: String)
    }

    public let store: any EtcdStore
    public let keys: EtcdKeys
    public let network: IPv4Network
    public let name: String

    public init(store: any EtcdStore, keys: EtcdKeys, network: IPv4Network, name: String) {
        self.store = store
        self.keys = keys
        self.network = network
        self.name = name
    }

    /// Returns our address: `remembered` (from the state file) when etcd still gives it to us or
    /// it is free, else an address etcd already gives us, else the lowest free one.
    public func register(remembered: IPv4Address?) throws(RegistrationError) -> (address: IPv4Address, outcome: Outcome) {
        var moved: (address: IPv4Address, owner: String)?
        if let remembered, !network.isHostAddress(remembered) {
            Log.warning("VPN address \(remembered) of \(name) is not in \(network), choosing a new address")
        } else if let remembered {
            let key = keys.addressKey(remembered)
            switch try claim(key) {
            case .ours:
                return (remembered, .kept)
            case .created:
                Log.notice("Registered VPN address \(remembered) of \(name) again, because \(key) was missing")
                return (remembered, .recreated)
            case .owned(let owner):
                Log.warning("VPN address \(remembered) of \(name) is now registered to \(owner), choosing a new address")
                moved = (remembered, owner)
            }
        }

        let allocated = try allocate()
        if let moved {
            return (allocated.address, .moved(from: moved.address, owner: moved.owner))
        }
        return allocated
    }

    enum Claim: Equatable {
        case ours
        case created
        case owned(String)
    }

    /// Makes `key` name us if it is free.
    func claim(_ key: String) throws(RegistrationError) -> Claim {
        do {
            if let current = try store.get(key) {
                return current.value == name ? .ours : .owned(current.value)
            }
            if try store.create(key, value: name) {
                return .created
            }
            // Another node created it between get and create.
            let current = try store.get(key)
            return current?.value == name ? .ours : .owned(current?.value ?? "an unknown node")
        } catch {
            throw .etcd(error)
        }
    }

    /// Claims the lowest free address, or takes over one that etcd already gives us. A create
    /// that loses a race is retried with the next free address. Addresses lost to a race are
    /// remembered, so every attempt tries a new one even if etcd's listing lags, and the number
    /// of attempts is bounded by the size of the network.
    func allocate() throws(RegistrationError) -> (address: IPv4Address, outcome: Outcome) {
        var lostToOthers: Set<UInt32> = []
        var attempt = 0
        while true {
            attempt += 1
            let listing: [EtcdKeyValue]
            do {
                listing = try store.list(prefix: keys.addressesPrefix).values
            } catch {
                throw .etcd(error)
            }

            var registered = lostToOthers
            var ours: [IPv4Address] = []
            for entry in listing {
                // Keys that are not decimal addresses cannot block one of ours, so they are skipped.
                guard let suffix = EtcdKeys.lastComponent(of: entry.key, under: keys.addressesPrefix),
                      let address = IPv4Address(decimal: suffix) else { continue }
                registered.insert(address.value)
                if entry.value == name && network.isHostAddress(address) {
                    ours.append(address)
                }
            }
            if let address = ours.min() {
                Log.notice("Using VPN address \(address), which etcd already registers to \(name)")
                return (address, .reclaimed)
            }

            guard let candidate = AddressPlan.lowestFree(in: network, registered: registered) else {
                throw .exhausted(network: network, registered: registered.filter { network.isHostAddress(IPv4Address(value: $0)) }.count)
            }
            Log.info("Registering VPN address \(candidate) for \(name) (attempt \(attempt))")
            let created: Bool
            do {
                created = try store.create(keys.addressKey(candidate), value: name)
            } catch {
                throw .etcd(error)
            }
            if created {
                return (candidate, .allocated)
            }
            Log.notice("VPN address \(candidate) was registered by another node first, trying the next free address")
            lostToOthers.insert(candidate.value)
        }
    }

    /// The result of checking our address at run time.
    public enum Check: Sendable, Equatable {
        case ours
        /// The key was missing and was created again.
        case recreated
        /// Another node's name is under our address.
        case owned(String)
    }

    /// Checks that `addresses/N` still names us, and creates it again when it is missing.
    public func check(_ address: IPv4Address) throws(RegistrationError) -> Check {
        switch try claim(keys.addressKey(address)) {
        case .ours: return .ours
        case .created: return .recreated
        case .owned(let owner): return .owned(owner)
        }
    }
}

/// The file that remembers our VPN address across restarts (CONFIG_DIR/automatic-tinc.state).
/// It contains the address in dotted-quad form and a newline.
public enum AddressStateFile {
    public static func read(_ path: String) throws(FileError) -> IPv4Address? {
        guard let text = try FileIO.readText(path) else { return nil }
        guard let address = IPv4Address(text.trimmingBlanks()) else {
            Log.warning("Ignoring \(path): it does not contain an IPv4 address")
            return nil
        }
        return address
    }

    public static func write(_ path: String, address: IPv4Address) throws(FileError) {
        try FileIO.writeIfChanged(path, contents: "\(address)\n", mode: 0o644)
    }
}

/// Publishes our host file as `configs/NAME`.
public enum ConfigPublisher {
    /// Puts `text` under `configs/NAME` unless etcd already has exactly this value. Returns true
    /// when it wrote.
    @discardableResult
    public static func publish(_ text: String, name: String, keys: EtcdKeys, store: any EtcdStore) throws(EtcdError) -> Bool {
        let key = keys.configKey(name)
        let current = try store.get(key)
        if current?.value == text { return false }
        if current != nil {
            Log.notice("Updating \(key), which differs from our host file")
        } else {
            Log.notice("Publishing our host file as \(key)")
        }
        try store.put(key, value: text)
        return true
    }
}

/// `alive/NAME`: an expiring key that exists while this node runs. It expires `ttl` seconds after the
/// last refresh, so a node that dies without deleting it shows as not alive within that time.
///
/// The discovery thread refreshes it and the main thread deletes it at exit. The lock makes sure
/// a refresh that races with the exit cannot write the key again after it was deleted.
public final class LivenessKey: Sendable {
    public static let ttl = 30
    public static let refreshInterval: Duration = .seconds(10)

    private struct State {
        var lease: EtcdLease?
        var removed = false
    }

    private let store: any EtcdStore
    public let key: String
    public let value: String
    private let state = Mutex(State())

    public init(store: any EtcdStore, key: String, value: String) {
        self.store = store
        self.key = key
        self.value = value
    }

    /// Writes the key when it has no lease yet or its lease expired, and extends it otherwise.
    public func refresh() throws(EtcdError) {
        let store = self.store
        let key = self.key
        let value = self.value
        try state.withLock { (state: inout State) throws(EtcdError) -> Void in
            guard !state.removed else { return }
            if let lease = state.lease {
                do throws(EtcdError) {
                    try store.refresh(lease)
                    return
                } catch .notFound {
                    Log.notice("Liveness key \(key) had expired, writing it again")
                }
            }
            state.lease = try store.putExpiring(key, value: value, ttl: LivenessKey.ttl)
        }
    }

    /// Deletes the key and stops later refreshes. Failure is logged, because the key expires on
    /// its own anyway.
    public func remove() {
        let store = self.store
        let key = self.key
        state.withLock { state in
            state.removed = true
            do {
                try store.delete(key)
                Log.info("Deleted liveness key \(key)")
            } catch {
                Log.warning("Could not delete liveness key \(key), it expires in \(LivenessKey.ttl) s: \(error)")
            }
        }
    }
}
