#if canImport(Glibc)
import Glibc
#endif
import EventLoop
import TincBase
import TincPacket
import TincProtocol

/// Largest amount of unprocessed meta data kept per connection: a maximum-size PACKET or a
/// METAKEY line for an 8192-bit RSA key (tinc 1.0.36 MAXBUFSIZE). A peer that sends more
/// without a line end is disconnected, which bounds the memory a peer can make us hold.
let maxMetaBuffer = max(PacketLimits.maxSize, 2048) + 128

extension Daemon {
    // MARK: Sending

    /// Queues one request line (without its newline) and tries to send it right away.
    @discardableResult
    func sendRequest(_ connection: Connection, _ line: String) -> Bool {
        if Log.enabled(.protocol) { logRequest("Sending", line, connection) }
        var text = line
        text.append("\n")
        let queued = text.utf8.withContiguousStorageIfAvailable { connection.queue(UnsafeRawBufferPointer($0)) }
            ?? Array(text.utf8).withUnsafeBytes { connection.queue($0) }
        if !queued { return false }
        return flushConnection(connection)
    }

    /// Sends a request to every active connection except `from` (tinc's broadcast_meta).
    func broadcastRequest(_ line: String, except from: Connection?) {
        for connection in Array(connections.values) where connection !== from && connection.active && !connection.removed {
            sendRequest(connection, line)
        }
    }

    /// Passes a request we received on to every other active connection, unchanged.
    func forwardRequest(_ line: Substring, from: Connection) {
        if Log.enabled(.protocol) { logRequest("Forwarding", String(line), from) }
        for connection in Array(connections.values) where connection !== from && connection.active && !connection.removed {
            var text = String(line)
            text.append("\n")
            let ok = Array(text.utf8).withUnsafeBytes { connection.queue($0) }
            if ok { flushConnection(connection) }
        }
    }

    private func logRequest(_ verb: String, _ line: String, _ connection: Connection) {
        let name = RequestType.peek(Substring(line)).flatMap { RequestType(rawValue: $0) }?.name ?? "UNKNOWN"
        let preposition = verb == "Sending" ? "to" : "from"
        if Log.enabled(.meta) {
            Log.write(.debug, "\(verb) \(name) \(preposition) \(connection.name) (\(connection.hostname)): \(line)")
        } else {
            Log.write(.debug, "\(verb) \(name) \(preposition) \(connection.name) (\(connection.hostname))")
        }
    }

    // MARK: Receiving

    /// Reads what the socket has, decrypts it and handles every complete request and PACKET.
    /// Returns false when the connection must be closed.
    func receiveMeta(_ connection: Connection) -> Bool {
        let room = maxMetaBuffer - connection.inBuffer.count
        if room <= 0 {
            Log.error("Metadata read buffer overflow for \(connection.name) (\(connection.hostname))")
            return false
        }
        let oldCount = connection.inBuffer.count
        connection.inBuffer.append(contentsOf: repeatElement(0, count: room))
        let received = connection.inBuffer.withUnsafeMutableBytes { raw in
            recv(connection.fd, raw.baseAddress! + oldCount, room, 0)
        }
        if received <= 0 {
            connection.inBuffer.removeLast(room)
            if received == 0 {
                Log.debug(.connections, .notice, "Connection closed by \(connection.name) (\(connection.hostname))")
                return false
            }
            if errno == EAGAIN || errno == EINTR { return true }
            Log.error("Metadata socket read error for \(connection.name) (\(connection.hostname)): \(String(cString: strerror(errno)))")
            return false
        }
        connection.inBuffer.removeLast(room - received)

        var start = 0
        defer {
            if start > 0 && !connection.removed {
                connection.inBuffer.removeFirst(start)
                connection.decryptedEnd = max(0, connection.decryptedEnd - start)
            }
        }
        while !connection.removed {
            // Bytes after METAKEY are encrypted: decrypt whatever arrived past the last request
            // handled, even when METAKEY and encrypted data came in the same read.
            if connection.decryptor != nil {
                if !connection.decryptPending() { return false }
            }
            let end = connection.decryptor != nil ? connection.decryptedEnd : connection.inBuffer.count

            if connection.pendingPacketLength > 0 {
                let length = connection.pendingPacketLength
                guard end - start >= length else { break }
                if connection.allow != .all {
                    Log.error("Got unauthorized TCP packet from \(connection.name) (\(connection.hostname))")
                    return false
                }
                connection.pendingPacketLength = 0
                connection.inBuffer.withUnsafeBytes { raw in
                    receiveTCPPacket(connection, UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)]))
                }
                start += length
                if connection.decryptor == nil { connection.decryptedEnd = start }
                continue
            }

            guard let newline = connection.inBuffer[start..<end].firstIndex(of: UInt8(ascii: "\n")) else { break }
            let line = String(decoding: connection.inBuffer[start..<newline], as: UTF8.self)
            start = newline + 1
            if connection.decryptor == nil { connection.decryptedEnd = start }
            if !receiveRequest(connection, Substring(line)) { return false }
        }
        if connection.inBuffer.count - start >= maxMetaBuffer {
            Log.error("Metadata read buffer overflow for \(connection.name) (\(connection.hostname))")
            return false
        }
        return true
    }

    /// Checks that a request is known and allowed in the connection's state, then handles it.
    func receiveRequest(_ connection: Connection, _ line: Substring) -> Bool {
        guard let number = RequestType.peek(line) else {
            Log.error("Bogus data received from \(connection.name) (\(connection.hostname))")
            return false
        }
        guard let type = RequestType(rawValue: number), Daemon.handledRequests.contains(type) else {
            if Log.enabled(.meta) {
                Log.write(.debug, "Unknown request from \(connection.name) (\(connection.hostname)): \(line)")
            } else {
                Log.error("Unknown request from \(connection.name) (\(connection.hostname))")
            }
            return false
        }
        if Log.enabled(.protocol) { logRequest("Got", String(line), connection) }
        if connection.allow != .all && connection.allow != .only(type) {
            Log.error("Unauthorized request from \(connection.name) (\(connection.hostname))")
            return false
        }
        if !handle(type, line, connection) {
            Log.error("Error while processing \(type.name) from \(connection.name) (\(connection.hostname))")
            return false
        }
        return true
    }

    static let handledRequests: Set<RequestType> = [
        .id, .metaKey, .challenge, .challengeReply, .ack, .ping, .pong, .addSubnet, .delSubnet,
        .addEdge, .delEdge, .keyChanged, .reqKey, .ansKey, .packet,
    ]

    private func handle(_ type: RequestType, _ line: Substring, _ connection: Connection) -> Bool {
        switch type {
        case .id: return handleID(line, connection)
        case .metaKey: return handleMetaKey(line, connection)
        case .challenge: return handleChallenge(line, connection)
        case .challengeReply: return handleChallengeReply(line, connection)
        case .ack: return handleAck(line, connection)
        case .ping: return sendPong(connection)
        case .pong: return handlePong(connection)
        case .addSubnet: return handleAddSubnet(line, connection)
        case .delSubnet: return handleDelSubnet(line, connection)
        case .addEdge: return handleAddEdge(line, connection)
        case .delEdge: return handleDelEdge(line, connection)
        case .keyChanged: return handleKeyChanged(line, connection)
        case .reqKey: return handleReqKey(line, connection)
        case .ansKey: return handleAnsKey(line, connection)
        case .packet: return handlePacketRequest(line, connection)
        default: return false
        }
    }
}

extension Daemon {
    /// Parses a request line, logging "Got bad REQUEST from NAME (ADDRESS): reason" on failure.
    func parseRequest<R: Request>(_ type: R.Type, _ line: Substring, _ connection: Connection) -> R? {
        do {
            return try R.parse(line)
        } catch {
            Log.error("Got bad \(R.type.name) from \(connection.name) (\(connection.hostname)): \(error)")
            return nil
        }
    }
}
