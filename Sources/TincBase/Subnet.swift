/// A subnet that a node owns: a MAC address, or an IPv4 or IPv6 network, with a weight that
/// breaks ties between owners of the same network (a lower weight is preferred).
///
/// Parsing and formatting follow tinc 1.0.36 subnet.c (str2net and net2str) byte for byte,
/// because these strings travel in ADD_SUBNET and DEL_SUBNET requests and appear in
/// host files that both implementations read.
public struct Subnet: Hashable, Sendable, CustomStringConvertible {
    public enum Network: Hashable, Sendable {
        /// A MAC address of 6 bytes.
        case mac([UInt8])
        /// An IPv4 network; the address is in host byte order (10.0.0.1 is 0x0A00_0001).
        case ipv4(address: UInt32, prefixLength: Int)
        /// An IPv6 network; the address is 16 bytes in network byte order.
        case ipv6(address: [UInt8], prefixLength: Int)
    }

    public var network: Network
    public var weight: Int32

    public init(network: Network, weight: Int32 = 10) {
        self.network = network
        self.weight = weight
    }

    public var description: String { protocolString }
}

// MARK: - Parsing (str2net)

extension Subnet {
    /// The weight that str2net gives a subnet without "#WEIGHT".
    public static let defaultWeight: Int32 = 10

    /// Parses a subnet as tinc 1.0.36's str2net does: "10.0.0.0/24", "10.1.2.3" (a /32),
    /// "10.0.0.0/8#5" (weight 5), a MAC address "0:1a:2b:3c:4d:5e" (no prefix length allowed),
    /// or IPv6 with "::" and a dotted-quad suffix (default /128). Returns nil for every input
    /// that str2net rejects.
    ///
    /// Each number is read the way glibc's sscanf reads it, so str2net's leniencies are kept on
    /// purpose: whitespace before a number, a sign, a "0x" before a hexadecimal group, and more
    /// digits than fit (the value keeps its low bits, so MAC part "100" is 0x00).
    public static func parse(_ text: String) -> Subnet? {
        // str2net copies the text into a 1024-byte buffer, so the text ends at its first NUL
        // and after 1023 bytes.
        var bytes = Array(text.utf8.prefix { $0 != 0 }.prefix(maxTextLength))

        // "#WEIGHT" is cut off first, then "/PREFIXLENGTH" from what remains.
        var weight = defaultWeight
        if let separator = bytes.firstIndex(of: UInt8(ascii: "#")) {
            var scanner = CFormatScanner(bytes[(separator + 1)...])
            guard let value = scanner.scanInt(), scanner.isAtEnd else { return nil }
            weight = value
            bytes.removeSubrange(separator...)
        }

        var prefixLength: Int?
        if let separator = bytes.firstIndex(of: UInt8(ascii: "/")) {
            var scanner = CFormatScanner(bytes[(separator + 1)...])
            guard let value = scanner.scanInt(), scanner.isAtEnd, value >= 0 else { return nil }
            prefixLength = Int(value)
            bytes.removeSubrange(separator...)
        }

        // The first format that matches the whole address decides the type, even when its
        // checks then fail: "1:2:3:4:5:6/48" is a MAC address with a prefix length, not IPv6.
        if let parts = scanGroups(bytes[...], count: 6, separator: colon, hexadecimal: true) {
            guard prefixLength == nil else { return nil }
            return Subnet(network: .mac(parts.map { UInt8(truncatingIfNeeded: $0) }), weight: weight)
        }

        if let octets = scanGroups(bytes[...], count: 4, separator: dot, hexadecimal: false) {
            let length = prefixLength ?? 32
            guard length <= 32, octets.allSatisfy({ $0 <= 255 }) else { return nil }
            let address = octets.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return Subnet(network: .ipv4(address: address, prefixLength: length), weight: weight)
        }

        guard let groups = expandIPv6(bytes) else { return nil }
        let length = prefixLength ?? 128
        guard length <= 128 else { return nil }
        let address = groups.flatMap { [UInt8(truncatingIfNeeded: $0 >> 8), UInt8(truncatingIfNeeded: $0)] }
        return Subnet(network: .ipv6(address: address, prefixLength: length), weight: weight)
    }

    /// The maximum text length str2net reads, in bytes: its buffer is 1024 bytes with the NUL.
    private static let maxTextLength = 1023
    private static let colon = UInt8(ascii: ":")
    private static let dot = UInt8(ascii: ".")

    /// Reads `count` numbers joined by `separator` over the whole text, as a format like
    /// "%hx:%hx:%hx:%hx:%hx:%hx%n" followed by a check that nothing is left. Returns nil otherwise.
    private static func scanGroups(_ text: ArraySlice<UInt8>, count: Int, separator: UInt8,
                                   hexadecimal: Bool) -> [UInt16]? {
        var scanner = CFormatScanner(text)
        guard let groups = scanGroups(&scanner, count: count, separator: separator, hexadecimal: hexadecimal),
              scanner.isAtEnd else { return nil }
        return groups
    }

    /// Reads `count` numbers joined by `separator` from the scanner's position.
    private static func scanGroups(_ scanner: inout CFormatScanner, count: Int, separator: UInt8,
                                   hexadecimal: Bool) -> [UInt16]? {
        var groups: [UInt16] = []
        for index in 0..<count {
            if index > 0 {
                guard scanner.matchLiteral(separator) else { return nil }
            }
            guard let group = scanner.scanUnsignedShort(hexadecimal: hexadecimal) else { return nil }
            groups.append(group)
        }
        return groups
    }

    /// Rewrites an IPv6 address into eight hexadecimal groups as str2net does, then reads them.
    private static func expandIPv6(_ original: [UInt8]) -> [UInt16]? {
        var text = original

        // A dotted-quad suffix ("::ffff:1.2.3.4") becomes two hexadecimal groups.
        if let lastColon = text.lastIndex(of: colon) {
            var scanner = CFormatScanner(text[lastColon...])
            if scanner.matchLiteral(colon),
               let octets = scanGroups(&scanner, count: 4, separator: dot, hexadecimal: false),
               scanner.isAtEnd {
                guard octets.allSatisfy({ $0 <= 255 }) else { return nil }
                let suffix = ":" + twoDigitHex(octets[0]) + twoDigitHex(octets[1])
                    + ":" + twoDigitHex(octets[2]) + twoDigitHex(octets[3])
                text = Array((text[..<lastColon] + Array(suffix.utf8)).prefix(maxTextLength))
            }
        }

        // "::" stands for as many zero groups as the other groups leave room for. Only the
        // first "::" is expanded, so a second one makes the final read fail.
        if let doubleColon = firstDoubleColon(in: text) {
            let zeroGroupCount = 8 - countGroups(in: text)
            guard zeroGroupCount >= 1 else { return nil }

            let zeros = Array(repeating: Array("0:".utf8), count: zeroGroupCount).joined()
            text.replaceSubrange((doubleColon + 1)...(doubleColon + 1), with: zeros)
            if text.first == colon { text.removeFirst() }
            if text.last == colon { text.removeLast() }
        }

        return scanGroups(text[...], count: 8, separator: colon, hexadecimal: true)
    }

    private static func firstDoubleColon(in text: [UInt8]) -> Int? {
        return text.indices.dropLast().first { text[$0] == colon && text[$0 + 1] == colon }
    }

    /// Counts the runs of characters other than ':' (whatever they contain), as str2net does
    /// before expanding "::".
    private static func countGroups(in text: [UInt8]) -> Int {
        var count = 0
        var previous = colon
        for byte in text {
            if byte != colon && previous == colon { count += 1 }
            previous = byte
        }
        return count
    }

    private static func twoDigitHex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return digits.count < 2 ? "0" + digits : digits
    }
}

// MARK: - Formatting (net2str)

extension Subnet {
    /// The subnet as net2str writes it in ADD_SUBNET and DEL_SUBNET requests:
    /// "10.0.0.0/24#10", IPv6 as eight "%x" groups without "::" ("fe80:0:0:0:0:0:0:0/64#10"),
    /// and a MAC address without leading zeros ("0:1a:2b:3c:4d:5e#10").
    public var protocolString: String {
        switch network {
        case .mac(let address):
            let parts = address.map { String($0, radix: 16) }
            return parts.joined(separator: ":") + "#\(weight)"
        case .ipv4(let address, let prefixLength):
            let octets = [24, 16, 8, 0].map { String((address >> UInt32($0)) & 0xFF) }
            return octets.joined(separator: ".") + "/\(prefixLength)#\(weight)"
        case .ipv6(let address, let prefixLength):
            precondition(address.count == 16, "an IPv6 subnet address has 16 bytes, not \(address.count)")
            let groups = stride(from: 0, to: 16, by: 2).map { index in
                String(UInt16(address[index]) << 8 | UInt16(address[index + 1]), radix: 16)
            }
            return groups.joined(separator: ":") + "/\(prefixLength)#\(weight)"
        }
    }
}

// MARK: - Matching

extension Subnet {
    /// True when no address bit below the prefix length is set (tinc 1.0.36 netutl.c maskcheck).
    /// tincd rejects a `Subnet` in a config file when this is false, with "Network address and
    /// prefix length do not match". A MAC subnet is always clean.
    public var hasCleanHostBits: Bool {
        switch network {
        case .mac:
            return true
        case .ipv4(let address, let prefixLength):
            return address & ~Subnet.ipv4Mask(prefixLength) == 0
        case .ipv6(let address, let prefixLength):
            return address.indices.allSatisfy { address[$0] & ~Subnet.ipv6MaskByte($0, prefixLength) == 0 }
        }
    }

    /// True when `address` (host byte order) lies in this IPv4 network. Host bits set in the
    /// subnet's own address are ignored, as tinc's maskcmp ignores them.
    public func matches(ipv4 address: UInt32) -> Bool {
        guard case .ipv4(let network, let prefixLength) = network else { return false }
        return (address ^ network) & Subnet.ipv4Mask(prefixLength) == 0
    }

    /// True when the 16-byte `address` (network byte order) lies in this IPv6 network.
    public func matches(ipv6 address: UnsafeRawBufferPointer) -> Bool {
        guard case .ipv6(let network, let prefixLength) = network, network.count == 16, address.count >= 16 else {
            return false
        }
        for index in 0..<16 {
            let mask = Subnet.ipv6MaskByte(index, prefixLength)
            if mask == 0 { return true }
            if (address[index] ^ network[index]) & mask != 0 { return false }
        }
        return true
    }

    /// True when the 6-byte `address` is this subnet's MAC address.
    public func matches(mac address: UnsafeRawBufferPointer) -> Bool {
        guard case .mac(let mac) = network, mac.count == 6, address.count >= 6 else { return false }
        return (0..<6).allSatisfy { address[$0] == mac[$0] }
    }

    private static func ipv4Mask(_ prefixLength: Int) -> UInt32 {
        prefixLength <= 0 ? 0 : UInt32.max << UInt32(32 - min(prefixLength, 32))
    }

    /// Returns the mask for byte `index` of an IPv6 address under `prefixLength`.
    private static func ipv6MaskByte(_ index: Int, _ prefixLength: Int) -> UInt8 {
        let bits = prefixLength - index * 8
        if bits >= 8 { return 0xFF }
        if bits <= 0 { return 0 }
        return UInt8(0xFF) << UInt8(8 - bits)
    }
}

// MARK: - Ordering

extension Subnet {
    /// Compares two subnets as tinc 1.0.36's subnet_compare orders its subnet trees, leaving out
    /// the owner's name that breaks the last tie: MAC before IPv4 before IPv6, longer prefixes
    /// first, then by address, then by weight (lower first). Route lookups walk the tree in this
    /// order and take the first subnet that matches. Returns a negative, zero or positive value.
    public func compareAsTinc(_ other: Subnet) -> Int {
        func typeRank(_ network: Network) -> Int {
            switch network {
            case .mac: return 0
            case .ipv4: return 1
            case .ipv6: return 2
            }
        }

        let typeOrder = typeRank(network) - typeRank(other.network)
        if typeOrder != 0 { return typeOrder }

        switch (network, other.network) {
        case (.mac(let a), .mac(let b)):
            if let order = Subnet.compareBytes(a, b) { return order }
        case (.ipv4(let a, let aLength), .ipv4(let b, let bLength)):
            if aLength != bLength { return bLength - aLength }
            if a != b { return a < b ? -1 : 1 }
        case (.ipv6(let a, let aLength), .ipv6(let b, let bLength)):
            if aLength != bLength { return bLength - aLength }
            if let order = Subnet.compareBytes(a, b) { return order }
        default:
            break
        }

        // tinc subtracts the weights as ints, which wraps for weights more than 2^31 apart.
        return Int(weight &- other.weight)
    }

    private static func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int? {
        for (x, y) in zip(a, b) where x != y {
            return Int(x) - Int(y)
        }
        return nil
    }
}

// MARK: - sscanf numbers

/// Reads numbers from C-string bytes the way glibc's sscanf reads "%d", "%hu" and "%hx", so
/// that str2net and get_config_int accept exactly what tincd accepts.
///
/// A conversion skips leading whitespace, takes an optional sign and then digits ("%hx" also
/// takes a "0x" prefix). The value is computed as strtol/strtoul compute it, saturating at the
/// 64-bit limits, and then truncated to the destination type as the C assignment does.
package struct CFormatScanner {
    private let bytes: ArraySlice<UInt8>
    package private(set) var position: Int

    package init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    package init(_ text: String) {
        self.init(Array(text.utf8.prefix { $0 != 0 })[...])
    }

    package var isAtEnd: Bool { position == bytes.endIndex }

    /// Matches one literal character of a format; a literal does not skip whitespace.
    package mutating func matchLiteral(_ byte: UInt8) -> Bool {
        guard !isAtEnd, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// "%d": the long that strtol returns, truncated to a C int.
    package mutating func scanInt() -> Int32? {
        guard let number = scanInteger(radix: 10) else { return nil }
        let long: Int64
        if number.negative {
            let limit = UInt64(Int64.max) + 1
            long = number.overflow || number.magnitude > limit ? .min : Int64(bitPattern: 0 &- number.magnitude)
        } else {
            long = number.overflow || number.magnitude > UInt64(Int64.max) ? .max : Int64(number.magnitude)
        }
        return Int32(truncatingIfNeeded: long)
    }

    /// "%hu" or "%hx": the unsigned long that strtoul returns (negated for a '-' sign),
    /// truncated to a C unsigned short.
    package mutating func scanUnsignedShort(hexadecimal: Bool) -> UInt16? {
        guard let number = scanInteger(radix: hexadecimal ? 16 : 10) else { return nil }
        let long: UInt64 = number.overflow ? .max : (number.negative ? 0 &- number.magnitude : number.magnitude)
        return UInt16(truncatingIfNeeded: long)
    }

    private mutating func scanInteger(radix: UInt64) -> (negative: Bool, magnitude: UInt64, overflow: Bool)? {
        while !isAtEnd, CFormatScanner.isSpace(bytes[position]) { position += 1 }
        guard !isAtEnd else { return nil }

        var negative = false
        if bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+") {
            negative = bytes[position] == UInt8(ascii: "-")
            position += 1
        }

        // A leading '0' is a digit on its own. For "%hx" glibc then also consumes an 'x' or
        // 'X', even when no hexadecimal digit follows ("0x:" reads as 0).
        var digitCount = 0
        if !isAtEnd, bytes[position] == UInt8(ascii: "0") {
            digitCount = 1
            position += 1
            if radix == 16, !isAtEnd, bytes[position] | 0x20 == UInt8(ascii: "x") { position += 1 }
        }

        var magnitude: UInt64 = 0
        var overflow = false
        while !isAtEnd, let digit = CFormatScanner.digitValue(bytes[position], radix: radix) {
            let (shifted, shiftOverflow) = magnitude.multipliedReportingOverflow(by: radix)
            let (sum, addOverflow) = shifted.addingReportingOverflow(digit)
            overflow = overflow || shiftOverflow || addOverflow
            magnitude = sum
            digitCount += 1
            position += 1
        }

        guard digitCount > 0 else { return nil }
        return (negative, magnitude, overflow)
    }

    /// isspace(3) in the C locale.
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private static func digitValue(_ byte: UInt8, radix: UInt64) -> UInt64? {
        let value: UInt64
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt64(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt64(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt64(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
        return value < radix ? value : nil
    }
}
