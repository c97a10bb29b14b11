#if canImport(Glibc)
import Glibc
#endif
import EventLoop

/// An IPv4 or IPv6 socket address, comparable by address and port.
struct SocketAddress: Hashable, CustomStringConvertible {
    enum Storage {
        case v4(sockaddr_in)
        case v6(sockaddr_in6)
    }

    var storage: Storage

    init(_ v4: sockaddr_in) { storage = .v4(v4) }
    init(_ v6: sockaddr_in6) { storage = .v6(v6) }

    /// Reads a `sockaddr_storage` filled by accept(2), recvfrom(2) or getaddrinfo(3); IPv4-mapped
    /// IPv6 addresses become plain IPv4, as tincd's sockaddrunmap does.
    init?(storage raw: UnsafeRawPointer) {
        let family = raw.load(as: sockaddr.self).sa_family
        switch Int32(family) {
        case AF_INET:
            storage = .v4(raw.load(as: sockaddr_in.self))
        case AF_INET6:
            let v6 = raw.load(as: sockaddr_in6.self)
            let mapped = withUnsafeBytes(of: v6.sin6_addr) { bytes in
                bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
            }
            if mapped {
                var v4 = sockaddr_in()
                v4.sin_family = sa_family_t(AF_INET)
                v4.sin_port = v6.sin6_port
                withUnsafeBytes(of: v6.sin6_addr) { bytes in
                    withUnsafeMutableBytes(of: &v4.sin_addr) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[12..<16])) }
                }
                storage = .v4(v4)
            } else {
                storage = .v6(v6)
            }
        default:
            return nil
        }
    }

    var family: Int32 {
        switch storage {
        case .v4: return AF_INET
        case .v6: return AF_INET6
        }
    }

    var port: UInt16 {
        get {
            switch storage {
            case .v4(let a): return UInt16(bigEndian: a.sin_port)
            case .v6(let a): return UInt16(bigEndian: a.sin6_port)
            }
        }
        set {
            switch storage {
            case .v4(var a): a.sin_port = newValue.bigEndian; storage = .v4(a)
            case .v6(var a): a.sin6_port = newValue.bigEndian; storage = .v6(a)
            }
        }
    }

    /// The numeric host, as getnameinfo(NI_NUMERICHOST) writes it.
    var host: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch storage {
        case .v4(var a):
            inet_ntop(AF_INET, &a.sin_addr, &buffer, socklen_t(buffer.count))
        case .v6(var a):
            inet_ntop(AF_INET6, &a.sin6_addr, &buffer, socklen_t(buffer.count))
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// "ADDRESS port PORT", the form tincd uses in every log line about a peer.
    var description: String { "\(host) port \(port)" }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        switch storage {
        case .v4(var a):
            return withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(var a):
            return withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    // Equality and hashing read the address fields in place: both run for every received
    // datagram (the node lookup by address), so they must not allocate.
    static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.v4(let a), .v4(let b)):
            return a.sin_addr.s_addr == b.sin_addr.s_addr && a.sin_port == b.sin_port
        case (.v6(let a), .v6(let b)):
            guard a.sin6_port == b.sin6_port && a.sin6_scope_id == b.sin6_scope_id else { return false }
            return withUnsafeBytes(of: a.sin6_addr) { first in
                withUnsafeBytes(of: b.sin6_addr) { second in first.elementsEqual(second) }
            }
        default:
            return false
        }
    }

    func hash(into hasher: inout Hasher) {
        switch storage {
        case .v4(let a):
            hasher.combine(a.sin_addr.s_addr)
            hasher.combine(a.sin_port)
        case .v6(let a):
            withUnsafeBytes(of: a.sin6_addr) { hasher.combine(bytes: $0) }
            hasher.combine(a.sin6_port)
            hasher.combine(a.sin6_scope_id)
        }
    }

    /// Resolves `host` and `port` with getaddrinfo(3). `host` nil with `passive` gives wildcard
    /// addresses for listening.
    static func resolve(host: String?, port: String, family: Int32 = AF_UNSPEC, stream: Bool,
                        passive: Bool = false, numericOnly: Bool = false) -> Result<[SocketAddress], ResolveError> {
        var hints = addrinfo()
        hints.ai_family = family
        hints.ai_socktype = Int32(stream ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue)
        hints.ai_flags = (passive ? AI_PASSIVE : 0) | (numericOnly ? AI_NUMERICHOST : 0)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, port, &hints, &list)
        if status != 0 {
            return .failure(ResolveError(message: String(cString: gai_strerror(status))))
        }
        defer { freeaddrinfo(list) }
        var result: [SocketAddress] = []
        var cursor = list
        while let entry = cursor {
            if let address = entry.pointee.ai_addr, let parsed = SocketAddress(storage: UnsafeRawPointer(address)) {
                result.append(parsed)
            }
            cursor = entry.pointee.ai_next
        }
        return .success(result)
    }

    /// Parses a numeric address and port as they appear in ADD_EDGE and ANS_KEY.
    static func numeric(_ host: String, _ port: String) -> SocketAddress? {
        guard case .success(let list) = resolve(host: host, port: port, stream: false, numericOnly: true) else {
            return nil
        }
        return list.first
    }
}

struct ResolveError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
