#if canImport(Glibc)
import Glibc
#endif
import TincBase
import TincGraph

/// Packets in the daemon carry tinc's 14-byte Ethernet header before the IP header.
let etherSize = 14
let ipv4HeaderSize = 20
let ipv6HeaderSize = 40
let icmpHeaderSize = 8
/// The minimum datagram size every IPv4 host accepts (RFC 791); ICMP errors quote at most this much.
let ipMinimumMSS = 576

extension Daemon {
    /// Decides where a packet goes in Mode = router, by the destination address and the subnets
    /// every node announced (tinc 1.0.36 route.c). `source` is the node it came from.
    func route(from source: Node, _ packet: UnsafeMutableRawBufferPointer, priority: Int) {
        guard packet.count >= etherSize else {
            Log.debug(.traffic, .warning, "Got too short packet from \(source.name) (\(source.hostname))")
            return
        }
        let type = UInt16(packet[12]) << 8 | UInt16(packet[13])
        switch type {
        case 0x0800:
            routeIPv4(from: source, packet, priority: priority)
        case 0x86DD:
            routeIPv6(from: source, packet, priority: priority)
        default:
            Log.debug(.traffic, .warning, "Cannot route packet from \(source.name) (\(source.hostname)): unknown type \(String(type, radix: 16))")
        }
    }

    // MARK: IPv4

    private func routeIPv4(from source: Node, _ packet: UnsafeMutableRawBufferPointer, priority: Int) {
        guard packet.count >= etherSize + ipv4HeaderSize else {
            Log.debug(.traffic, .warning, "Got too short packet from \(source.name) (\(source.hostname))")
            return
        }
        // Multicast (224.0.0.0/4) and limited broadcast go over the minimum spanning tree.
        if packet[30] & 0xf0 == 0xe0 || (packet[30] == 255 && packet[31] == 255 && packet[32] == 255 && packet[33] == 255) {
            broadcastPacket(from: source, packet)
            return
        }

        let destination = UInt32(packet[30]) << 24 | UInt32(packet[31]) << 16 | UInt32(packet[32]) << 8 | UInt32(packet[33])
        guard let entry = subnets.lookup(ipv4: destination, isReachable: { [nodes] in nodes[$0]?.reachable ?? false }),
              let owner = nodes[entry.owner] else {
            Log.debug(.traffic, .warning, "Cannot route packet from \(source.name) (\(source.hostname)): unknown IPv4 destination address \(packet[30]).\(packet[31]).\(packet[32]).\(packet[33])")
            sendICMPv4Unreachable(to: source, packet, type: 3, code: 6) // destination network unknown
            return
        }
        if owner === source {
            Log.debug(.traffic, .warning, "Packet looping back to \(source.name) (\(source.hostname))!")
            return
        }
        if !owner.reachable {
            sendICMPv4Unreachable(to: source, packet, type: 3, code: 0) // network unreachable
            return
        }
        if settings.decrementTTL && source !== myself && owner !== myself {
            if packet[etherSize + 8] <= 1 {
                sendICMPv4Unreachable(to: source, packet, type: 11, code: 0) // TTL exceeded in transit
                return
            }
            decrementIPv4TTL(packet)
        }

        let via = owner.via === myself ? owner.nexthop : owner.via
        guard let via else { return }
        if via === source {
            Log.debug(.traffic, .error, "Routing loop for packet from \(source.name) (\(source.hostname))!")
            return
        }
        if settings.directOnly && owner !== via {
            sendICMPv4Unreachable(to: source, packet, type: 3, code: 9) // network administratively prohibited
            return
        }

        if via !== myself && packet.count > max(via.mtu, 590) {
            Log.debug(.traffic, .info, "Packet for \(owner.name) (\(owner.hostname)) length \(packet.count) larger than MTU \(via.mtu)")
            if packet[etherSize + 6] & 0x40 != 0 {
                // Don't Fragment is set: tell the sender the path MTU, as a router would.
                let limited = UnsafeMutableRawBufferPointer(rebasing: packet[0..<max(via.mtu, 590)])
                sendICMPv4Unreachable(to: source, limited, type: 3, code: 4)
            } else {
                fragmentIPv4(packet, for: owner, via: via)
            }
            return
        }

        clampMSS(source: source, via: via, packet)
        sendPacket(to: owner, packet, priority: priority)
    }

    /// Splits an IPv4 packet without DF into fragments that fit the path MTU of `via`.
    private func fragmentIPv4(_ packet: UnsafeMutableRawBufferPointer, for owner: Node, via: Node) {
        let headerLength = Int(packet[etherSize] & 0x0f) * 4
        guard headerLength == ipv4HeaderSize else { return }
        let total = Int(packet[etherSize + 2]) << 8 | Int(packet[etherSize + 3])
        guard etherSize + total == packet.count else {
            Log.debug(.traffic, .warning, "Length of packet (\(packet.count)) doesn't match length in IPv4 header (\(etherSize + total))")
            return
        }
        Log.debug(.traffic, .info, "Fragmenting packet of \(packet.count) bytes to \(owner.name) (\(owner.hostname))")
        let maxLength = (max(via.mtu, 590) - etherSize - ipv4HeaderSize) & ~7
        let flagsAndOffset = UInt16(packet[etherSize + 6]) << 8 | UInt16(packet[etherSize + 7])
        let originalFlags = flagsAndOffset & ~0x1fff
        var offset = flagsAndOffset & 0x1fff
        var todo = total - ipv4HeaderSize
        var position = etherSize + ipv4HeaderSize

        let fragment = UnsafeMutableRawBufferPointer.allocate(byteCount: PacketLimitsForRoute.fragmentBuffer, alignment: 8)
        defer { fragment.deallocate() }
        while todo > 0 {
            let length = min(todo, maxLength)
            todo -= length
            fragment.copyMemory(from: UnsafeRawBufferPointer(rebasing: packet[0..<(etherSize + ipv4HeaderSize)]))
            UnsafeMutableRawBufferPointer(rebasing: fragment[(etherSize + ipv4HeaderSize)...])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: packet[position..<(position + length)]))
            position += length
            let ipLength = UInt16(ipv4HeaderSize + length)
            fragment[etherSize + 2] = UInt8(ipLength >> 8)
            fragment[etherSize + 3] = UInt8(ipLength & 0xff)
            let field = offset | originalFlags | (todo > 0 ? 0x2000 : 0)
            fragment[etherSize + 6] = UInt8(field >> 8)
            fragment[etherSize + 7] = UInt8(field & 0xff)
            fragment[etherSize + 10] = 0
            fragment[etherSize + 11] = 0
            let sum = internetChecksum(UnsafeRawBufferPointer(rebasing: fragment[etherSize..<(etherSize + ipv4HeaderSize)]))
            fragment[etherSize + 10] = UInt8(sum >> 8)
            fragment[etherSize + 11] = UInt8(sum & 0xff)
            sendPacket(to: owner, UnsafeMutableRawBufferPointer(rebasing: fragment[0..<(etherSize + ipv4HeaderSize + length)]), priority: 0)
            offset += UInt16(length / 8)
        }
    }

    private func decrementIPv4TTL(_ packet: UnsafeMutableRawBufferPointer) {
        let ttlOffset = etherSize + 8
        let old = UInt16(packet[ttlOffset]) << 8 | UInt16(packet[ttlOffset + 1])
        packet[ttlOffset] -= 1
        let new = UInt16(packet[ttlOffset]) << 8 | UInt16(packet[ttlOffset + 1])
        var checksum = UInt32(~(UInt16(packet[etherSize + 10]) << 8 | UInt16(packet[etherSize + 11])))
        checksum += UInt32(~old) + UInt32(new)
        while checksum >> 16 != 0 { checksum = (checksum & 0xffff) + (checksum >> 16) }
        let result = ~UInt16(checksum)
        packet[etherSize + 10] = UInt8(result >> 8)
        packet[etherSize + 11] = UInt8(result & 0xff)
    }

    /// Sends the source of an undeliverable packet an ICMP error from the destination's side
    /// (RFC 792), at most three per second.
    private func sendICMPv4Unreachable(to source: Node, _ packet: UnsafeMutableRawBufferPointer, type: UInt8, code: UInt8) {
        if icmpRateLimited() { return }
        guard packet.count >= etherSize + ipv4HeaderSize else { return }
        let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: etherSize + ipMinimumMSS, alignment: 8)
        defer { reply.deallocate() }

        var quoted = packet.count - etherSize
        let nextHopMTU = quoted
        if quoted >= ipMinimumMSS - ipv4HeaderSize - icmpHeaderSize {
            quoted = ipMinimumMSS - ipv4HeaderSize - icmpHeaderSize
        }

        let ip = etherSize
        let icmp = ip + ipv4HeaderSize
        let body = icmp + icmpHeaderSize
        startErrorReply(reply, to: packet, etherType: (0x08, 0x00), body: body, quoted: quoted)

        let totalLength = UInt16(ipv4HeaderSize + icmpHeaderSize + quoted)
        let header: [UInt8] = [0x45, 0, UInt8(totalLength >> 8), UInt8(totalLength & 0xff), 0, 0, 0, 0, 255, 1, 0, 0]
        for (index, byte) in header.enumerated() { reply[ip + index] = byte }
        // Source and destination swapped: the error comes from where the packet was going.
        for index in 0..<4 {
            reply[ip + 12 + index] = packet[etherSize + 16 + index]
            reply[ip + 16 + index] = packet[etherSize + 12 + index]
        }
        let ipSum = internetChecksum(UnsafeRawBufferPointer(rebasing: reply[ip..<icmp]))
        reply[ip + 10] = UInt8(ipSum >> 8)
        reply[ip + 11] = UInt8(ipSum & 0xff)

        reply[icmp] = type
        reply[icmp + 1] = code
        for index in 2..<8 { reply[icmp + index] = 0 }
        if type == 3 && code == 4 {
            reply[icmp + 6] = UInt8((nextHopMTU >> 8) & 0xff)
            reply[icmp + 7] = UInt8(nextHopMTU & 0xff)
        }
        let icmpSum = internetChecksum(UnsafeRawBufferPointer(rebasing: reply[icmp..<(body + quoted)]))
        reply[icmp + 2] = UInt8(icmpSum >> 8)
        reply[icmp + 3] = UInt8(icmpSum & 0xff)

        sendPacket(to: source, UnsafeMutableRawBufferPointer(rebasing: reply[0..<(body + quoted)]), priority: 0)
    }

    // MARK: IPv6

    private func routeIPv6(from source: Node, _ packet: UnsafeMutableRawBufferPointer, priority: Int) {
        guard packet.count >= etherSize + ipv6HeaderSize else {
            Log.debug(.traffic, .warning, "Got too short packet from \(source.name) (\(source.hostname))")
            return
        }
        // NOTE: neighbor solicitations are only needed on tap devices; a tun device never sends them.
        if packet[38] == 0xff {
            broadcastPacket(from: source, packet)
            return
        }
        let destination = UnsafeRawBufferPointer(rebasing: packet[38..<54])
        guard let entry = subnets.lookup(ipv6: destination, isReachable: { [nodes] in nodes[$0]?.reachable ?? false }),
              let owner = nodes[entry.owner] else {
            Log.debug(.traffic, .warning, "Cannot route packet from \(source.name) (\(source.hostname)): unknown IPv6 destination address \(formatIPv6(destination))")
            sendICMPv6Unreachable(to: source, packet, type: 1, code: 0) // no route to destination
            return
        }
        if owner === source {
            Log.debug(.traffic, .warning, "Packet looping back to \(source.name) (\(source.hostname))!")
            return
        }
        if !owner.reachable {
            sendICMPv6Unreachable(to: source, packet, type: 1, code: 0)
            return
        }
        let via = owner.via === myself ? owner.nexthop : owner.via
        guard let via else { return }
        if via === source {
            Log.debug(.traffic, .error, "Routing loop for packet from \(source.name) (\(source.hostname))!")
            return
        }
        if settings.directOnly && owner !== via {
            sendICMPv6Unreachable(to: source, packet, type: 1, code: 1) // administratively prohibited
            return
        }
        if via !== myself && packet.count > max(via.mtu, 1294) {
            Log.debug(.traffic, .info, "Packet for \(owner.name) (\(owner.hostname)) length \(packet.count) larger than MTU \(via.mtu)")
            sendICMPv6Unreachable(to: source, UnsafeMutableRawBufferPointer(rebasing: packet[0..<max(via.mtu, 1294)]), type: 2, code: 0)
            return
        }
        clampMSS(source: source, via: via, packet)
        sendPacket(to: owner, packet, priority: priority)
    }

    /// ICMPv6 error (RFC 4443), at most three per second.
    private func sendICMPv6Unreachable(to source: Node, _ packet: UnsafeMutableRawBufferPointer, type: UInt8, code: UInt8) {
        if icmpRateLimited() { return }
        let icmpv6HeaderSize = 8
        var quoted = packet.count - etherSize
        let mtu = quoted
        if quoted >= ipMinimumMSS - ipv6HeaderSize - icmpv6HeaderSize {
            quoted = ipMinimumMSS - ipv6HeaderSize - icmpv6HeaderSize
        }
        let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: etherSize + ipMinimumMSS, alignment: 8)
        defer { reply.deallocate() }
        let ip = etherSize
        let icmp = ip + ipv6HeaderSize
        let body = icmp + icmpv6HeaderSize
        startErrorReply(reply, to: packet, etherType: (0x86, 0xdd), body: body, quoted: quoted)
        let payloadLength = icmpv6HeaderSize + quoted
        let fixed: [UInt8] = [0x60, 0, 0, 0, UInt8(payloadLength >> 8), UInt8(payloadLength & 0xff), 58, 255]
        for (index, byte) in fixed.enumerated() { reply[ip + index] = byte }
        for index in 0..<16 {
            reply[ip + 8 + index] = packet[etherSize + 24 + index]
            reply[ip + 24 + index] = packet[etherSize + 8 + index]
        }
        reply[icmp] = type
        reply[icmp + 1] = code
        for index in 2..<8 { reply[icmp + index] = 0 }
        if type == 2 {
            reply[icmp + 4] = UInt8((mtu >> 24) & 0xff)
            reply[icmp + 5] = UInt8((mtu >> 16) & 0xff)
            reply[icmp + 6] = UInt8((mtu >> 8) & 0xff)
            reply[icmp + 7] = UInt8(mtu & 0xff)
        }
        // Checksum over the pseudo-header (source, destination, length, next header) and the message.
        var pseudo = [UInt8](repeating: 0, count: 40)
        for index in 0..<32 { pseudo[index] = reply[ip + 8 + index] }
        pseudo[34] = UInt8(payloadLength >> 8)
        pseudo[35] = UInt8(payloadLength & 0xff)
        pseudo[39] = 58
        var sum = pseudo.withUnsafeBytes { internetChecksum($0) }
        sum = internetChecksum(UnsafeRawBufferPointer(rebasing: reply[icmp..<(body + quoted)]), previous: sum)
        reply[icmp + 2] = UInt8(sum >> 8)
        reply[icmp + 3] = UInt8(sum & 0xff)
        sendPacket(to: source, UnsafeMutableRawBufferPointer(rebasing: reply[0..<(body + quoted)]), priority: 0)
    }

    /// Writes the Ethernet header of an ICMP error reply, with the packet's MAC addresses swapped,
    /// and copies the first `quoted` bytes of the packet's IP datagram to `body`.
    private func startErrorReply(_ reply: UnsafeMutableRawBufferPointer, to packet: UnsafeMutableRawBufferPointer,
                                 etherType: (UInt8, UInt8), body: Int, quoted: Int) {
        for index in 0..<6 {
            reply[index] = packet[index + 6]
            reply[index + 6] = packet[index]
        }
        reply[12] = etherType.0
        reply[13] = etherType.1
        UnsafeMutableRawBufferPointer(rebasing: reply[body..<(body + quoted)])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: packet[etherSize..<(etherSize + quoted)]))
    }

    private func formatIPv6(_ bytes: UnsafeRawBufferPointer) -> String {
        stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }

    private func icmpRateLimited() -> Bool {
        let second = Int(now)
        if second == icmpSecond {
            icmpCount += 1
            return icmpCount > 3
        }
        icmpSecond = second
        icmpCount = 1
        return false
    }

    // MARK: MSS clamping

    /// Lowers the MSS option of a TCP SYN so that segments fit the path MTU to `via`, which
    /// spares TCP the ICMP round trip (tinc's ClampMSS, on by default).
    func clampMSS(source: Node, via: Node, _ packet: UnsafeMutableRawBufferPointer) {
        guard via.options & ConnectionOption.clampMSS != 0 else { return }
        var mtu = source.mtu
        if via !== myself && via.mtu < mtu { mtu = via.mtu }

        var start = etherSize
        let type = UInt16(packet[12]) << 8 | UInt16(packet[13])
        if type == 0x0800 && packet[start + 9] == 6 {
            start += Int(packet[start] & 0x0f) * 4
        } else if type == 0x86DD && packet[start + 6] == 6 {
            start += ipv6HeaderSize
        } else {
            return
        }
        guard packet.count > start + 20 else { return }
        let optionsLength = (Int(packet[start + 12] >> 4) - 5) * 4
        guard optionsLength >= 0, packet.count >= start + 20 + optionsLength else { return }

        var index = 0
        while index < optionsLength {
            let kind = packet[start + 20 + index]
            if kind == 0 { break }
            if kind == 1 { index += 1; continue }
            if index > optionsLength - 2 { break }
            let length = Int(packet[start + 21 + index])
            if index > optionsLength - length { break }
            if kind != 2 {
                if length < 2 { break }
                index += length
                continue
            }
            if length != 4 { break }
            let oldMSS = UInt16(packet[start + 22 + index]) << 8 | UInt16(packet[start + 23 + index])
            let newMSS = UInt16(clamping: mtu - start - 20)
            if oldMSS <= newMSS { break }
            Log.debug(.traffic, .info, "Clamping MSS of packet from \(source.name) to \(via.name) to \(newMSS)")
            packet[start + 22 + index] = UInt8(newMSS >> 8)
            packet[start + 23 + index] = UInt8(newMSS & 0xff)
            // Incremental checksum update (RFC 1624).
            var checksum = UInt32(UInt16(packet[start + 16]) << 8 | UInt16(packet[start + 17]))
            checksum ^= 0xffff
            checksum += UInt32(oldMSS ^ 0xffff)
            checksum += UInt32(newMSS)
            checksum = (checksum & 0xffff) + (checksum >> 16)
            checksum += checksum >> 16
            checksum ^= 0xffff
            packet[start + 16] = UInt8((checksum >> 8) & 0xff)
            packet[start + 17] = UInt8(checksum & 0xff)
            break
        }
    }
}

enum PacketLimitsForRoute {
    static let fragmentBuffer = 2048
}

/// Computes the Internet checksum (RFC 1071) over big-endian 16-bit words. `previous` continues a
/// sum computed over an earlier part of the same message.
func internetChecksum(_ data: UnsafeRawBufferPointer, previous: UInt16 = 0xffff) -> UInt16 {
    var sum = UInt32(previous ^ 0xffff)
    var index = 0
    while index + 1 < data.count {
        sum += UInt32(data[index]) << 8 | UInt32(data[index + 1])
        index += 2
    }
    if index < data.count { sum += UInt32(data[index]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
    return ~UInt16(sum)
}
