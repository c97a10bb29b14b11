#if canImport(Glibc)
import Glibc
#endif

/// Finds the address other nodes reach us at when --public-address is not given: the address of
/// the interface that carries the default route. Only local kernel tables are read; nothing is
/// sent on the network.
public enum PublicAddress {
    public struct NotFound: Error, CustomStringConvertible {
        public let detail: String

        public var description: String {
            "Could not find this host's public address (\(detail)); pass --public-address ADDR or set TINC_PUBLIC_ADDRESS"
        }
    }

    /// Tries the IPv4 default route first, then the IPv6 one.
    public static func detect() throws(NotFound) -> String {
        let ipv4Table = (try? FileIO.readText("/proc/net/route")) ?? nil
        if let interface = ipv4Table.flatMap(defaultRouteInterface(ipv4Table:)) {
            if let address = interfaceAddress(interface, family: AF_INET) {
                return address
            }
        }
        let ipv6Table = (try? FileIO.readText("/proc/net/ipv6_route")) ?? nil
        if let interface = ipv6Table.flatMap(defaultRouteInterface(ipv6Table:)) {
            if let address = interfaceAddress(interface, family: AF_INET6) {
                return address
            }
        }
        if ipv4Table == nil && ipv6Table == nil {
            throw NotFound(detail: "/proc/net/route and /proc/net/ipv6_route cannot be read")
        }
        throw NotFound(detail: "no default route with an address on its interface")
    }

    /// Returns the interface of the IPv4 default route in /proc/net/route: destination and mask
    /// 0, flag RTF_UP set; the lowest metric wins. Columns: Iface Destination Gateway Flags RefCnt
    /// Use Metric Mask MTU Window IRTT, numbers in hexadecimal.
    public static func defaultRouteInterface(ipv4Table text: String) -> String? {
        var best: (interface: String, metric: UInt32)?
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 8,
                  let destination = UInt32(fields[1], radix: 16), destination == 0,
                  let mask = UInt32(fields[7], radix: 16), mask == 0,
                  let flags = UInt32(fields[3], radix: 16), flags & routeUp != 0,
                  let metric = UInt32(fields[6], radix: 16) else { continue }
            if best == nil || metric < best!.metric {
                best = (String(fields[0]), metric)
            }
        }
        return best?.interface
    }

    /// Returns the interface of the IPv6 default route in /proc/net/ipv6_route: destination ::/0,
    /// RTF_UP set, RTF_REJECT clear (the kernel's unreachable default on "lo"); the lowest metric
    /// wins. Columns: destination, prefix length, source, source prefix length, next hop, metric,
    /// reference count, use count, flags, interface.
    public static func defaultRouteInterface(ipv6Table text: String) -> String? {
        var best: (interface: String, metric: UInt32)?
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 10,
                  fields[0].allSatisfy({ $0 == "0" }), fields[1] == "00",
                  let metric = UInt32(fields[5], radix: 16),
                  let flags = UInt32(fields[8], radix: 16), flags & routeUp != 0, flags & routeReject == 0,
                  fields[9] != "lo" else { continue }
            if best == nil || metric < best!.metric {
                best = (String(fields[9]), metric)
            }
        }
        return best?.interface
    }

    /// RTF_UP and RTF_REJECT from <linux/route.h>.
    static let routeUp: UInt32 = 0x0001
    static let routeReject: UInt32 = 0x0200

    /// Returns the first address of `family` on `interface`, skipping IPv6 link-local addresses,
    /// which peers could not reach without a scope.
    static func interfaceAddress(_ interface: String, family: Int32) -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }

        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            cursor = entry.pointee.ifa_next
            guard let socketAddress = entry.pointee.ifa_addr, Int32(socketAddress.pointee.sa_family) == family,
                  String(cString: entry.pointee.ifa_name) == interface else { continue }
            if let text = numericHost(socketAddress, family: family), !(family == AF_INET6 && text.lowercased().hasPrefix("fe80:")) {
                return text
            }
        }
        return nil
    }

    private static func numericHost(_ address: UnsafeMutablePointer<sockaddr>, family: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let result: UnsafePointer<CChar>?
        if family == AF_INET {
            result = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 in
                inet_ntop(AF_INET, &ipv4.pointee.sin_addr, &buffer, socklen_t(buffer.count))
            }
        } else {
            result = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { ipv6 in
                inet_ntop(AF_INET6, &ipv6.pointee.sin6_addr, &buffer, socklen_t(buffer.count))
            }
        }
        guard result != nil else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
