/// An IPv4 address in host byte order (172.16.0.1 is 0xAC10_0001).
///
/// etcd's `addresses/N` keys name an address by this integer in decimal, as the original
/// shell script wrote them: 172.16.0.1 is `addresses/2886729729`.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt32

    public init(value: UInt32) {
        self.value = value
    }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text strictly: four decimal numbers of 1 to 3 digits, each at most 255.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ (48...57).contains($0) }),
                  let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        self.value = value
    }

    /// Parses the decimal integer of an `addresses/N` key.
    public init?(decimal text: some StringProtocol) {
        guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }), let value = UInt32(text) else { return nil }
        self.value = value
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    /// The decimal integer that names this address in etcd.
    public var decimal: String { String(value) }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}

/// An IPv4 network given as address and prefix length, such as 172.16.0.0/13.
public struct IPv4Network: Hashable, Sendable, CustomStringConvertible {
    public var address: IPv4Address
    public var prefixLength: Int

    public init(address: IPv4Address, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses "A.B.C.D/P" with P from 0 to 32. Host bits may be set; see `hasCleanHostBits`.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(parts[0]),
              (1...2).contains(parts[1].utf8.count), parts[1].utf8.allSatisfy({ (48...57).contains($0) }),
              let prefixLength = Int(parts[1]), prefixLength <= 32 else { return nil }
        self.init(address: address, prefixLength: prefixLength)
    }

    public var mask: UInt32 {
        prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - prefixLength)
    }

    public var hasCleanHostBits: Bool { address.value & ~mask == 0 }

    /// The network with its host bits cleared.
    public var masked: IPv4Network {
        IPv4Network(address: IPv4Address(value: address.value & mask), prefixLength: prefixLength)
    }

    public var broadcast: IPv4Address { IPv4Address(value: address.value | ~mask) }

    /// The addresses nodes may take: network + 1 through broadcast - 1. Empty for /31 and /32.
    public var hostRange: ClosedRange<UInt32>? {
        let first = (address.value & mask) &+ 1
        let last = broadcast.value &- 1
        return prefixLength <= 30 ? first...last : nil
    }

    public func contains(_ address: IPv4Address) -> Bool {
        address.value & mask == self.address.value & mask
    }

    /// True when `address` is one that a node may take in this network.
    public func isHostAddress(_ address: IPv4Address) -> Bool {
        hostRange?.contains(address.value) ?? false
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

/// Address arithmetic for allocation: the lowest address that no node has registered.
public enum AddressPlan {
    /// Returns the lowest host address of `network` that is not in `registered`, or nil when
    /// every host address is registered.
    public static func lowestFree(in network: IPv4Network, registered: Set<UInt32>) -> IPv4Address? {
        guard let range = network.hostRange else { return nil }
        // At most registered.count + 1 candidates are tried, so a sparse /8 costs no more than a /30.
        var candidate = range.lowerBound
        while registered.contains(candidate) {
            guard candidate < range.upperBound else { return nil }
            candidate += 1
        }
        return IPv4Address(value: candidate)
    }
}
