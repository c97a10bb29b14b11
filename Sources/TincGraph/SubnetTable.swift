import TincBase

/// A subnet and the node that announced it.
public struct SubnetEntry: Sendable, Equatable {
    public var subnet: Subnet
    public var owner: String

    public init(subnet: Subnet, owner: String) {
        self.subnet = subnet
        self.owner = owner
    }
}

/// Every known subnet, ordered as tinc 1.0.36's subnet_tree, for routing lookups (subnet.c).
///
/// Within each type (MAC, IPv4, IPv6) entries are sorted by prefix length, longest first, then by
/// address, then by weight with the lower first, then by owner name. A lookup walks that order and
/// returns the first match whose owner is reachable. When no matching owner is reachable, it
/// returns the last match, as tinc's lookup_subnet_* functions do.
///
/// Lookups run on the packet path. As in tinc, the last two results per address family are
/// cached. Every change to the table drops the cache, and the daemon must call `flushCache()`
/// whenever a node's reachability changes, as tinc's graph() does.
public final class SubnetTable {
    private var macEntries: [SubnetEntry] = []
    private var ipv4Entries: [SubnetEntry] = []
    private var ipv6Entries: [SubnetEntry] = []
    /// Each owner's subnets in the same order.
    private var byOwner: [String: [Subnet]] = [:]

    private var ipv4Cache = LookupCache<UInt32>()
    private var ipv6Cache = LookupCache<IPv6Key>()
    private var macCache = LookupCache<UInt64>()

    public init() {}

    // MARK: - Changes

    /// Adds `subnet` for `owner`. Adding one that is already there changes nothing.
    public func add(_ subnet: Subnet, owner: String) {
        guard !contains(subnet, owner: owner) else { return }
        let entry = SubnetEntry(subnet: subnet, owner: owner)

        withEntries(of: subnet) { entries in
            entries.insert(entry, at: entries.partitioningIndex { !entryOrder($0, entry) })
        }

        var owned = byOwner[owner, default: []]
        owned.insert(subnet, at: owned.partitioningIndex { $0.compareAsTinc(subnet) >= 0 })
        byOwner[owner] = owned

        flushCache()
    }

    /// Removes `subnet` of `owner` and returns true, or returns false when the table does not
    /// contain it.
    @discardableResult
    public func remove(_ subnet: Subnet, owner: String) -> Bool {
        guard var owned = byOwner[owner], let index = owned.firstIndex(of: subnet) else { return false }
        owned.remove(at: index)
        byOwner[owner] = owned.isEmpty ? nil : owned

        withEntries(of: subnet) { entries in
            if let position = entries.firstIndex(where: { $0.subnet == subnet && sameBytes($0.owner, owner) }) {
                entries.remove(at: position)
            }
        }

        flushCache()
        return true
    }

    /// Removes every subnet of `owner` and returns them, in table order.
    @discardableResult
    public func removeAll(of owner: String) -> [Subnet] {
        guard let owned = byOwner.removeValue(forKey: owner) else { return [] }
        macEntries.removeAll { sameBytes($0.owner, owner) }
        ipv4Entries.removeAll { sameBytes($0.owner, owner) }
        ipv6Entries.removeAll { sameBytes($0.owner, owner) }
        flushCache()
        return owned
    }

    /// Forgets cached lookups. Call it whenever a node becomes reachable or unreachable.
    public func flushCache() {
        ipv4Cache.flush()
        ipv6Cache.flush()
        macCache.flush()
    }

    // MARK: - Queries

    /// True when `owner` has `subnet`: same network, address, prefix length and weight (tinc's
    /// lookup_subnet).
    public func contains(_ subnet: Subnet, owner: String) -> Bool {
        byOwner[owner]?.contains(subnet) ?? false
    }

    /// Returns the subnets of `owner`, in table order.
    public func subnets(of owner: String) -> [Subnet] {
        byOwner[owner] ?? []
    }

    /// Every entry in table order: MAC, then IPv4, then IPv6.
    public var all: [SubnetEntry] {
        macEntries + ipv4Entries + ipv6Entries
    }

    public var isEmpty: Bool { byOwner.isEmpty }

    // MARK: - Lookups

    /// Finds the subnet that routes `address` (host byte order), as tinc's lookup_subnet_ipv4.
    public func lookup(ipv4 address: UInt32, isReachable: (String) -> Bool) -> SubnetEntry? {
        if let cached = ipv4Cache.find(address) { return cached }

        var result: SubnetEntry?
        for entry in ipv4Entries where entry.subnet.matches(ipv4: address) {
            result = entry
            if isReachable(entry.owner) { break }
        }

        ipv4Cache.store(address, result)
        return result
    }

    /// Finds the subnet that routes the 16-byte `address` (network byte order), as tinc's
    /// lookup_subnet_ipv6. Returns nil when `address` is shorter than 16 bytes.
    public func lookup(ipv6 address: UnsafeRawBufferPointer, isReachable: (String) -> Bool) -> SubnetEntry? {
        guard address.count >= 16 else { return nil }
        let key = IPv6Key(high: address.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                          low: address.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        if let cached = ipv6Cache.find(key) { return cached }

        var result: SubnetEntry?
        for entry in ipv6Entries where entry.subnet.matches(ipv6: address) {
            result = entry
            if isReachable(entry.owner) { break }
        }

        ipv6Cache.store(key, result)
        return result
    }

    /// Finds the subnet of the 6-byte MAC `address`, as tinc's lookup_subnet_mac with no owner.
    /// Returns nil when `address` is shorter than 6 bytes.
    public func lookup(mac address: UnsafeRawBufferPointer, isReachable: (String) -> Bool) -> SubnetEntry? {
        guard address.count >= 6 else { return nil }
        let key = Self.macKey(address)
        if let cached = macCache.find(key) { return cached }

        var result: SubnetEntry?
        for entry in macEntries where entry.subnet.matches(mac: address) {
            result = entry
            if isReachable(entry.owner) { break }
        }

        macCache.store(key, result)
        return result
    }

    /// Finds a MAC subnet of `owner` only, as tinc's lookup_subnet_mac(owner, ...) does when it
    /// learns source addresses in switch mode. Returns nil when `address` is shorter than 6 bytes.
    ///
    /// NOTE: tinc also serves this from the shared cache, where a miss cached by one kind of
    /// lookup can be returned for the other. This one scans the owner's subnets and leaves the cache alone.
    public func lookup(mac address: UnsafeRawBufferPointer, owner: String,
                       isReachable: (String) -> Bool) -> SubnetEntry? {
        guard address.count >= 6, let owned = byOwner[owner] else { return nil }

        var result: SubnetEntry?
        for subnet in owned where subnet.matches(mac: address) {
            result = SubnetEntry(subnet: subnet, owner: owner)
            if isReachable(owner) { break }
        }
        return result
    }

    // MARK: - Helpers

    private func withEntries(of subnet: Subnet, _ body: (inout [SubnetEntry]) -> Void) {
        switch subnet.network {
        case .mac: body(&macEntries)
        case .ipv4: body(&ipv4Entries)
        case .ipv6: body(&ipv6Entries)
        }
    }

    private static func macKey(_ address: UnsafeRawBufferPointer) -> UInt64 {
        var key: UInt64 = 0
        for index in 0..<6 {
            key = key << 8 | UInt64(address[index])
        }
        return key
    }
}

/// tinc's subnet_compare including the owner name, which breaks the last tie.
private func entryOrder(_ a: SubnetEntry, _ b: SubnetEntry) -> Bool {
    let order = a.subnet.compareAsTinc(b.subnet)
    if order != 0 { return order < 0 }
    return byteOrder(a.owner, b.owner)
}

private struct IPv6Key: Equatable {
    var high: UInt64
    var low: UInt64
}

/// The last two lookup results for one address family, misses included, as tinc keeps them.
private struct LookupCache<Key: Equatable> {
    private var keys: (Key?, Key?) = (nil, nil)
    private var results: (SubnetEntry?, SubnetEntry?) = (nil, nil)
    /// The slot written last. The next result goes to the other one.
    private var slot = 0

    /// Returns `.some(result)` for a cached address, where the result itself may be a cached miss,
    /// or nil when the address is not cached.
    func find(_ key: Key) -> SubnetEntry?? {
        if keys.0 == key { return .some(results.0) }
        if keys.1 == key { return .some(results.1) }
        return nil
    }

    mutating func store(_ key: Key, _ result: SubnetEntry?) {
        slot ^= 1
        if slot == 0 {
            keys.0 = key
            results.0 = result
        } else {
            keys.1 = key
            results.1 = result
        }
    }

    mutating func flush() {
        keys = (nil, nil)
        results = (nil, nil)
    }
}
