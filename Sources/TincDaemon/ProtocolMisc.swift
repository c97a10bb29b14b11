import TincBase
import TincPacket
import TincProtocol

/// PING, PONG and PACKET (tinc 1.0.36 protocol_misc.c).
extension Daemon {
    func sendPing(_ connection: Connection) {
        connection.pinged = true
        connection.lastPingTime = now
        sendRequest(connection, "8")
    }

    func sendPong(_ connection: Connection) -> Bool {
        sendRequest(connection, "9")
    }

    func handlePong(_ connection: Connection) -> Bool {
        connection.pinged = false
        // A working connection resets the retry delay of the ConnectTo behind it.
        if let outgoing = connection.outgoing {
            outgoing.timeout = 0
            outgoing.pendingAddresses = []
            outgoing.addressLines = []
        }
        return true
    }

    /// Sends a VPN packet over the meta connection: a PACKET line, then the raw bytes.
    /// With a backlog in the output buffer, packets are dropped early and at random, more
    /// often the fuller it is (tinc's random early drop), so TCP does not queue without bound.
    func sendTCPPacket(_ connection: Connection, _ packet: UnsafeRawBufferPointer) -> Bool {
        let backlog = Double(connection.pendingOutput)
        if 2.0 * backlog / Double(settings.maxOutputBufferSize) - 1 > Double.random(in: 0..<1) {
            return true
        }
        if Log.enabled(.protocol) {
            Log.write(.debug, "Sending PACKET to \(connection.name) (\(connection.hostname))")
        }
        var header = PacketRequest(length: UInt16(packet.count)).line
        header.append("\n")
        let ok = Array(header.utf8).withUnsafeBytes { connection.queue($0) } && connection.queue(packet)
        if !ok { return false }
        return flushConnection(connection)
    }

    func handlePacketRequest(_ line: Substring, _ connection: Connection) -> Bool {
        guard let request = parseRequest(PacketRequest.self, line, connection) else { return false }
        guard request.length > 0, Int(request.length) <= PacketLimits.maxSize else {
            Log.error("Got bad PACKET from \(connection.name) (\(connection.hostname)): length \(request.length) out of range")
            return false
        }
        connection.pendingPacketLength = Int(request.length)
        return true
    }
}
