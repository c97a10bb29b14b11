import TincBase
import TincCrypto
import TincPacket
import TincProtocol

/// KEY_CHANGED, REQ_KEY and ANS_KEY (tinc 1.0.36 protocol_key.c): how two nodes exchange the
/// symmetric keys for UDP packets, forwarded hop by hop along the meta connections.
extension Daemon {
    /// Tells everyone our keys changed and gives directly connected peers a new key at once,
    /// which also keeps their UDP mappings alive.
    func sendKeyChanged() {
        broadcastRequest(KeyChangedRequest(nonce: KeyChangedRequest.nonce(), name: myself.name).line, except: nil)
        for connection in Array(connections.values) where connection.active {
            if let node = connection.node, node.reachable {
                _ = sendAnsKey(node)
            }
        }
    }

    func handleKeyChanged(_ line: Substring, _ connection: Connection) -> Bool {
        guard let request = parseRequest(KeyChangedRequest.self, line, connection) else { return false }
        guard NodeName.isValid(request.name) else {
            Log.error("Got bad KEY_CHANGED from \(connection.name) (\(connection.hostname)): invalid name")
            return false
        }
        if seenRequests.seen(line, now: Int(now)) { return true }
        guard let node = lookupNode(request.name) else {
            Log.error("Got KEY_CHANGED from \(connection.name) (\(connection.hostname)) origin \(request.name) which does not exist")
            return true
        }
        node.validKey = false
        node.sealer = nil
        node.lastKeyRequest = -1000
        forwardRequest(line, from: connection)
        return true
    }

    func sendReqKey(_ node: Node) {
        guard let connection = node.nexthop?.connection else { return }
        sendRequest(connection, ReqKeyRequest(from: myself.name, to: node.name).line)
    }

    func handleReqKey(_ line: Substring, _ connection: Connection) -> Bool {
        guard let request = parseRequest(ReqKeyRequest.self, line, connection) else { return false }
        guard NodeName.isValid(request.from) && NodeName.isValid(request.to) else {
            Log.error("Got bad REQ_KEY from \(connection.name) (\(connection.hostname)): invalid name")
            return false
        }
        guard let from = lookupNode(request.from) else {
            Log.error("Got REQ_KEY from \(connection.name) (\(connection.hostname)) origin \(request.from) which does not exist in our connection list")
            return true
        }
        guard let to = lookupNode(request.to) else {
            Log.error("Got REQ_KEY from \(connection.name) (\(connection.hostname)) destination \(request.to) which does not exist in our connection list")
            return true
        }
        if to === myself {
            return sendAnsKey(from)
        }
        guard to.reachable, let next = to.nexthop?.connection else {
            Log.warning("Got REQ_KEY from \(connection.name) (\(connection.hostname)) destination \(request.to) which is not reachable")
            return true
        }
        sendRequest(next, String(line))
        return true
    }

    /// Makes a fresh key for packets from `node` to us and announces it with our packet settings.
    func sendAnsKey(_ node: Node) -> Bool {
        let key = PacketKey.generate(cipher: settings.packetCipher, digest: settings.packetDigest,
                                     macLength: settings.macLength, compression: settings.compression)
        do {
            let opener = try PacketOpener(key: key, replayWindow: settings.replayWindow)
            node.previousOpener = node.opener
            node.opener = opener
        } catch {
            Log.error("Failed to set up key for \(node.name) (\(node.hostname)): \(error)")
            return false
        }
        guard let connection = node.nexthop?.connection else { return true }
        let request = AnsKeyRequest(from: myself.name, to: node.name, key: Hex.encode(key.keyMaterial),
                                    cipher: Int32(settings.packetCipher?.nid ?? 0), digest: Int32(settings.packetDigest?.nid ?? 0),
                                    macLength: Int32(settings.macLength), compression: Int32(settings.compression),
                                    address: nil, port: nil)
        return sendRequest(connection, request.line)
    }

    func handleAnsKey(_ line: Substring, _ connection: Connection) -> Bool {
        guard let request = parseRequest(AnsKeyRequest.self, line, connection) else { return false }
        guard NodeName.isValid(request.from) && NodeName.isValid(request.to) else {
            Log.error("Got bad ANS_KEY from \(connection.name) (\(connection.hostname)): invalid name")
            return false
        }
        guard let from = lookupNode(request.from) else {
            Log.error("Got ANS_KEY from \(connection.name) (\(connection.hostname)) origin \(request.from) which does not exist in our connection list")
            return true
        }
        guard let to = lookupNode(request.to) else {
            Log.error("Got ANS_KEY from \(connection.name) (\(connection.hostname)) destination \(request.to) which does not exist in our connection list")
            return true
        }

        if to !== myself {
            guard to.reachable, let next = to.nexthop?.connection else {
                Log.warning("Got ANS_KEY from \(connection.name) (\(connection.hostname)) destination \(request.to) which is not reachable")
                return true
            }
            // Tell the destination where we see the origin's UDP packets come from, so that two
            // nodes behind NAT can still find each other (tinc's reflexive address).
            if request.address == nil, let address = from.udpAddress, to.minMTU > 0 {
                Log.debug(.protocol, .debug, "Appending reflexive UDP address to ANS_KEY from \(from.name) to \(to.name)")
                sendRequest(next, "\(line) \(address.host) \(address.port)")
                return true
            }
            sendRequest(next, String(line))
            return true
        }

        // Don't use any of the new key material until every check has passed.
        from.validKey = false
        let key: PacketKey
        do {
            key = try PacketKey.fromAnnouncement(cipherNID: request.cipher, digestNID: request.digest,
                                                 macLength: Int(request.macLength), compression: Int(request.compression),
                                                 keyHex: Substring(request.key))
        } catch {
            Log.error("Node \(from.name) (\(from.hostname)) \(error)")
            return true
        }
        do {
            from.sealer = try PacketSealer(key: key)
            from.outKey = key
        } catch {
            Log.error("Error during initialisation of key from \(from.name) (\(from.hostname)): \(error)")
            return true
        }
        from.validKey = true

        if let host = request.address, let port = request.port, let address = SocketAddress.numeric(host, port) {
            Log.debug(.protocol, .debug, "Using reflexive UDP address from \(from.name): \(host) port \(port)")
            updateNodeUDP(from, address)
        }
        if from.options & ConnectionOption.pmtuDiscovery != 0 && from.mtuTimer == nil {
            sendMTUProbe(from)
        }
        return true
    }
}
