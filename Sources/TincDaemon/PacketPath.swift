#if canImport(Glibc)
import Glibc
#endif
import EventLoop
import TincBase
import TincCrypto
import TincPacket

// The life of a packet (tinc 1.0.36 net_packet.c):
//
// Outgoing: the tun device is readable -> handleDeviceReadable reads into packetBuffer ->
// route() finds the owner of the destination subnet -> sendPacket() picks the next hop ->
// sendUDPPacket() seals it (compress, seqno, encrypt, MAC) into sealBuffer -> sendto().
// Without a valid key or a confirmed path MTU the packet goes over the meta connection instead.
//
// Incoming: a UDP socket is readable -> handleUDPReadable finds the sending node by address
// (or by trying MACs) -> PacketOpener checks MAC and replay window, decrypts, decompresses into
// openBuffer -> an MTU probe is sent back, anything else goes to route() and from there to the
// device or on to the next hop.
extension Daemon {
    // MARK: From the device

    func handleDeviceReadable() {
        // Bounded so that a busy device cannot starve the meta connections.
        for _ in 0..<64 {
            guard let length = device.read(into: packetBuffer) else {
                deviceErrors += 1
                if deviceErrors > 10 {
                    Log.error("Too many errors from \(device.deviceName), exiting!")
                    exitCode = 1
                    loop.stop()
                }
                return
            }
            if length == 0 { return }
            deviceErrors = 0
            route(from: myself, UnsafeMutableRawBufferPointer(rebasing: packetBuffer[0..<length]), priority: 0)
        }
    }

    // MARK: Sending

    /// Delivers a packet to `node`: to the device when it is us, else via the node's next hop.
    /// A priority of -1 marks a packet that arrived over TCP; it goes on over TCP.
    func sendPacket(to node: Node, _ packet: UnsafeMutableRawBufferPointer, priority: Int) {
        if node === myself {
            _ = device.write(packet)
            return
        }
        Log.debug(.traffic, .error, "Sending packet of \(packet.count) bytes to \(node.name) (\(node.hostname))")
        guard node.reachable else {
            Log.debug(.traffic, .info, "Node \(node.name) (\(node.hostname)) is not reachable")
            return
        }
        let via = (priority == -1 || node.via === myself) ? node.nexthop : node.via
        guard let via else { return }
        if via !== node {
            Log.debug(.traffic, .info, "Sending packet to \(node.name) via \(via.name) (\(via.hostname))")
        }
        if priority == -1 || (myself.options | via.options) & ConnectionOption.tcpOnly != 0 {
            guard let connection = via.connection else { return }
            if !sendTCPPacket(connection, UnsafeRawBufferPointer(packet)) {
                terminate(connection, report: true)
            }
        } else {
            sendUDPPacket(to: via, packet)
        }
    }

    /// Seals and sends one packet over UDP, or falls back to the meta connection while there is
    /// no key yet or the packet is larger than the path MTU confirmed so far.
    func sendUDPPacket(to node: Node, _ packet: UnsafeMutableRawBufferPointer) {
        guard node.reachable else {
            Log.debug(.traffic, .info, "Trying to send UDP packet to unreachable node \(node.name) (\(node.hostname))")
            return
        }
        guard node.validKey, let sealer = node.sealer else {
            Log.debug(.traffic, .info, "No valid key known yet for \(node.name) (\(node.hostname)), forwarding via TCP")
            if node.lastKeyRequest + 10 <= now {
                sendReqKey(node)
                node.lastKeyRequest = now
            }
            if let connection = node.nexthop?.connection {
                _ = sendTCPPacket(connection, UnsafeRawBufferPointer(packet))
            }
            return
        }
        let isProbe = packet.count > 13 && packet[12] == 0 && packet[13] == 0
        if node.options & ConnectionOption.pmtuDiscovery != 0 && packet.count > node.minMTU && !isProbe {
            Log.debug(.traffic, .info, "Packet for \(node.name) (\(node.hostname)) larger than minimum MTU, forwarding via \(node !== node.nexthop ? node.nexthop?.name ?? "TCP" : "TCP")")
            if let nexthop = node.nexthop, nexthop !== node {
                sendPacket(to: nexthop, packet, priority: 0)
            } else if let connection = node.nexthop?.connection {
                _ = sendTCPPacket(connection, UnsafeRawBufferPointer(packet))
            }
            return
        }
        guard let address = node.udpAddress else { return }

        guard let length = sealer.seal(UnsafeRawBufferPointer(packet), into: sealBuffer) else {
            Log.debug(.traffic, .error, "Error while compressing packet to \(node.name) (\(node.hostname))")
            return
        }
        var socketIndex = node.socketIndex
        if socketIndex >= listeners.count || listeners[socketIndex].family != address.family {
            socketIndex = listeners.firstIndex { $0.family == address.family } ?? 0
            node.socketIndex = socketIndex
        }
        let fd = listeners[socketIndex].udp
        let sent = address.withSockaddr { sendto(fd, sealBuffer.baseAddress, length, 0, $0, $1) }
        if sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK {
            if errno == EMSGSIZE {
                if node.maxMTU >= packet.count { node.maxMTU = packet.count - 1 }
                if node.mtu >= packet.count { node.mtu = packet.count - 1 }
            } else {
                Log.debug(.traffic, .warning, "Error sending packet to \(node.name) (\(node.hostname)): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Sends a packet to every node over the minimum spanning tree, and to ourselves when it
    /// came from elsewhere (tinc's default Broadcast = mst).
    func broadcastPacket(from source: Node, _ packet: UnsafeMutableRawBufferPointer) {
        if source !== myself {
            sendPacket(to: myself, packet, priority: 0)
        }
        Log.debug(.traffic, .info, "Broadcasting packet of \(packet.count) bytes from \(source.name) (\(source.hostname))")
        let arrivedOn = source.nexthop?.connection
        for connection in Array(connections.values) where connection.active && connection.inMinimumSpanningTree && connection !== arrivedOn {
            if let node = connection.node {
                sendPacket(to: node, packet, priority: 0)
            }
        }
    }

    // MARK: From the network

    func handleUDPReadable(_ index: Int) {
        let fd = listeners[index].udp
        // Bounded so that a flood on one socket cannot starve the rest of the loop.
        for _ in 0..<64 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let received = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(fd, packetBuffer.baseAddress, packetBuffer.count, 0, $0, &length)
                }
            }
            if received < 0 {
                if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                    Log.error("Receiving packet failed: \(String(cString: strerror(errno)))")
                }
                return
            }
            if received == 0 { continue }
            guard let from = withUnsafePointer(to: &storage, { SocketAddress(storage: UnsafeRawPointer($0)) }) else { continue }
            let datagram = UnsafeRawBufferPointer(rebasing: packetBuffer[0..<received])

            var node = nodesByAddress[from]
            if node == nil {
                node = identifySender(from, datagram)
                if let node {
                    updateNodeUDP(node, from)
                } else {
                    logUnknownSource(from)
                    continue
                }
            }
            guard let node else { continue }
            node.socketIndex = index
            receiveUDPPacket(from: node, datagram)
        }
    }

    /// Logs a datagram from an address no node has: each one at debug level 3, else one warning
    /// every ten seconds with the count.
    private func logUnknownSource(_ address: SocketAddress) {
        if Log.enabled(.protocol) {
            Log.write(.warning, "Received UDP packet from unknown source \(address)")
            return
        }
        let current = now
        if unknownSourcePackets == 0 { firstUnknownSourceTime = current }
        unknownSourcePackets += 1
        if current - lastUnknownSourceReport >= 10 {
            Log.warning("Dropped \(unknownSourcePackets) UDP packet(s) from unknown sources in the last \(Int(current - firstUnknownSourceTime)) s; last from \(address)")
            unknownSourcePackets = 0
            lastUnknownSourceReport = current
        }
    }

    /// Finds which node sent a datagram from an unknown address by checking its MAC against the key
    /// of every node we have an edge to (tinc's try_harder). Within the same second as the last
    /// search, only edges whose address is the sender's host are tried, so that garbage cannot
    /// make us check every key for every packet.
    private func identifySender(_ address: SocketAddress, _ datagram: UnsafeRawBufferPointer) -> Node? {
        let second = Int(now)
        let host = address.host
        for edge in graph.allEdges where edge.to != myself.name {
            guard let candidate = nodes[edge.to], let opener = candidate.opener else { continue }
            // Edge addresses are numeric, as tincd prints them in ADD_EDGE.
            if lastHardTry == second && edge.address != host {
                continue
            }
            if opener.verifiesMAC(datagram) || candidate.previousOpener?.verifiesMAC(datagram) == true {
                lastHardTry = second
                return candidate
            }
        }
        lastHardTry = second
        return nil
    }

    private func receiveUDPPacket(from node: Node, _ datagram: UnsafeRawBufferPointer) {
        guard var opener = node.opener else {
            Log.debug(.traffic, .debug, "Got packet from \(node.name) (\(node.hostname)) but he hasn't got our key yet")
            resendKeyIfStale(node)
            return
        }
        let result: (length: Int, originalLength: Int)
        do {
            result = try opener.open(datagram, into: openBuffer)
        } catch {
            guard error == .badMAC || error == .decryptFailed, let previous = node.previousOpener,
                  let opened = try? previous.open(datagram, into: openBuffer) else {
                logDroppedPacket(error, node)
                if error == .badMAC || error == .decryptFailed { resendKeyIfStale(node) }
                return
            }
            result = opened
            opener = previous
        }
        if opener.receivedSequenceNumber > maxSequenceNumber {
            // Renew keys long before the 32-bit sequence number could wrap.
            keyExpires = 0
        }
        let packet = UnsafeMutableRawBufferPointer(rebasing: openBuffer[0..<result.length])
        if packet.count > 13 && packet[12] == 0 && packet[13] == 0 {
            handleMTUProbe(from: node, packet, length: result.originalLength)
        } else {
            Log.debug(.traffic, .debug, "Received packet of \(packet.count) bytes from \(node.name) (\(node.hostname))")
            route(from: node, packet, priority: 0)
        }
    }

    /// Sends the node a new key when its packets match none of ours, at most every five seconds.
    /// tincd 1.0.36 sends a new key for every REQ_KEY and when a node becomes reachable. When two
    /// of those ANS_KEYs take different routes, the node can end up with an older key than ours
    /// and nothing would ever correct it until the keys expire.
    private func resendKeyIfStale(_ node: Node) {
        let current = now
        guard node.reachable, current - node.lastKeyResend >= 5 else { return }
        node.lastKeyResend = current
        Log.debug(.status, .info, "Packets from \(node.name) (\(node.hostname)) match none of our keys, sending a new one")
        _ = sendAnsKey(node)
    }

    /// Logs a rejected datagram. At debug level 5 every one is logged as tincd does. Below that,
    /// one warning per node every ten seconds gives the count and the reason for the last one.
    private func logDroppedPacket(_ error: OpenError, _ node: Node) {
        let reason: String
        switch error {
        case .tooLong: reason = "too long packet"
        case .tooShort: reason = "too short packet"
        case .badMAC: reason = "unauthenticated packet"
        case .decryptFailed: reason = "packet that failed to decrypt"
        case .replayed(let seqno, let last): reason = "late or replayed packet, seqno \(seqno), last received \(last)"
        case .farFuture(let seqno): reason = "packet with seqno \(seqno), too far in the future"
        case .decompressFailed: reason = "packet that failed to uncompress"
        }
        if Log.enabled(.traffic) {
            Log.write(.debug, "Got \(reason) from \(node.name) (\(node.hostname))")
            return
        }
        let current = now
        if node.droppedPackets == 0 { node.firstDropTime = current }
        node.droppedPackets += 1
        if current - node.lastDropReport >= 10 {
            Log.warning("Dropped \(node.droppedPackets) packet(s) from \(node.name) (\(node.hostname)) in the last \(Int(current - node.firstDropTime)) s; last: \(reason)")
            node.droppedPackets = 0
            node.lastDropReport = current
        }
    }

    /// Routes a packet that came over a meta connection in a PACKET request.
    func receiveTCPPacket(_ connection: Connection, _ data: UnsafeRawBufferPointer) {
        guard let node = connection.node, data.count <= openBuffer.count else { return }
        let packet = UnsafeMutableRawBufferPointer(rebasing: openBuffer[0..<data.count])
        packet.copyMemory(from: data)
        let priority = connection.options & ConnectionOption.tcpOnly != 0 ? 0 : -1
        Log.debug(.traffic, .debug, "Received packet of \(packet.count) bytes from \(node.name) (\(node.hostname))")
        route(from: node, packet, priority: priority)
    }
}

/// Past this many packets under one key, tincd 1.0.36 renews its keys (MAX_SEQNO, 2^30).
let maxSequenceNumber: UInt32 = 1 << 30
