#if canImport(Glibc)
import Glibc
#endif
import TincBase
import TincConfig
import TincCrypto
import TincGraph
import TincProtocol

/// The authentication handshake (tinc 1.0.36 protocol_auth.c), in the order the requests flow:
/// ID, METAKEY, CHALLENGE, CHAL_REPLY, ACK. Since 1.0.35 the accepting side speaks only after
/// the initiator has: it sends its ID after the initiator's, and its CHAL_REPLY only after it
/// has verified the initiator's, so an unauthenticated peer learns nothing it could replay.
extension Daemon {
    // MARK: ID

    func sendID(_ connection: Connection) -> Bool {
        sendRequest(connection, IDRequest(name: myself.name, protocolVersion: 17).line)
    }

    func handleID(_ line: Substring, _ connection: Connection) -> Bool {
        guard let request = parseRequest(IDRequest.self, line, connection) else { return false }
        if !NodeName.isValid(request.name) || request.name == myself.name {
            Log.error("Got bad ID from \(connection.name) (\(connection.hostname)): invalid name")
            return false
        }
        if connection.outgoing != nil {
            if connection.name != request.name {
                Log.error("Peer \(connection.hostname) is \(request.name) instead of \(connection.name)")
                return false
            }
        } else {
            connection.name = request.name
        }
        connection.protocolVersion = Int(request.protocolVersion)
        if request.protocolVersion != 17 {
            Log.error("Peer \(connection.name) (\(connection.hostname)) uses incompatible version \(request.protocolVersion)")
            return false
        }

        if connection.hostConfig == nil {
            do {
                connection.hostConfig = try options.configDirectory.readHostConfig(connection.name, options: options.commandLineOptions)
            } catch {
                Log.error("Peer \(connection.hostname) had unknown identity (\(connection.name)): \(error)")
                return false
            }
        }
        guard let key = readPublicKey(of: connection.name, hostConfig: connection.hostConfig!) else {
            return false
        }
        connection.peerKey = key
        connection.allow = .only(.metaKey)
        if connection.outgoing == nil && !sendID(connection) {
            return false
        }
        return sendMetaKey(connection)
    }

    // MARK: METAKEY

    /// Returns the byte budget of one meta key (tinc 1.0.36's byte_budget): 2^(blockbits/2 - 1)
    /// bytes, below the point where a birthday attack on the block size becomes plausible.
    /// Stream modes have a block size of one byte, so their IV length is used instead.
    static func byteBudget(_ cipher: CipherAlgorithm) -> UInt64 {
        var length = 8
        if cipher.blockSize > 1 {
            length = cipher.blockSize
        } else if cipher.ivLength > 1 {
            length = cipher.ivLength
        }
        let bits = length * 4 - 1
        return bits < 64 ? UInt64(1) << UInt64(bits) : .max
    }

    func sendMetaKey(_ connection: Connection) -> Bool {
        guard let peerKey = connection.peerKey else { return false }
        let length = peerKey.size
        var key = Crypto.randomBytes(length)
        // RSA without padding needs a message smaller than the modulus. Clearing the top bit
        // guarantees that for any key, because the modulus has its top bit set. The message is
        // entirely random, so the lack of padding gives an attacker nothing to work with.
        key[0] &= 0x7f

        let encrypted: [UInt8]
        do {
            encrypted = try peerKey.publicEncryptRaw(key)
        } catch {
            Log.error("Error during encryption of meta key for \(connection.name) (\(connection.hostname)): \(error)")
            return false
        }

        let cipher = connection.outCipher
        let request = MetaKeyRequest(cipher: Int32(cipher.nid), digest: Int32(connection.outDigest.nid), macLength: 0,
                                     compression: 0, key: Hex.encode(encrypted))
        let sent = sendRequest(connection, request.line)

        // Everything we send from here on is encrypted with the key we just sent. The cipher key
        // is the last keyLength bytes of the random key, and the IV the ivLength bytes before it.
        let keyStart = length - cipher.keyLength
        let ivStart = keyStart - cipher.ivLength
        do {
            connection.encryptor = try key.withUnsafeBytes { raw in
                try CipherContext(algorithm: cipher,
                                  key: UnsafeRawBufferPointer(rebasing: raw[keyStart..<length]),
                                  iv: UnsafeRawBufferPointer(rebasing: raw[ivStart..<keyStart]),
                                  encrypt: true)
            }
        } catch {
            Log.error("Error during initialisation of cipher for \(connection.name) (\(connection.hostname)): \(error)")
            return false
        }
        connection.outBudget = Daemon.byteBudget(cipher)
        return sent
    }

    func handleMetaKey(_ line: Substring, _ connection: Connection) -> Bool {
        guard let request = parseRequest(MetaKeyRequest.self, line, connection) else { return false }
        let length = privateKey.size
        if request.key.utf8.count != length * 2 {
            Log.error("Possible intruder \(connection.name) (\(connection.hostname)): wrong keylength")
            return false
        }
        guard let encrypted = Hex.decode(Substring(request.key)) else {
            Log.error("Got bad METAKEY from \(connection.name)(\(connection.hostname)): invalid key")
            return false
        }
        let key: [UInt8]
        do {
            key = try privateKey.privateDecryptRaw(encrypted)
        } catch {
            Log.error("Error during decryption of meta key for \(connection.name) (\(connection.hostname)): \(error)")
            return false
        }

        // A null cipher or digest would leave the meta connection readable or forgeable
        // (rejected since tinc 1.0.35).
        guard request.cipher != 0 else {
            Log.error("\(connection.name) (\(connection.hostname)) uses null cipher!")
            return false
        }
        guard let cipher = CipherAlgorithm.nid(request.cipher) else {
            Log.error("\(connection.name) (\(connection.hostname)) uses unknown cipher!")
            return false
        }
        let keyStart = length - cipher.keyLength
        let ivStart = keyStart - cipher.ivLength
        guard ivStart >= 0 else {
            Log.error("\(connection.name) (\(connection.hostname)) uses unknown cipher!")
            return false
        }
        do {
            connection.decryptor = try key.withUnsafeBytes { raw in
                try CipherContext(algorithm: cipher,
                                  key: UnsafeRawBufferPointer(rebasing: raw[keyStart..<length]),
                                  iv: UnsafeRawBufferPointer(rebasing: raw[ivStart..<keyStart]),
                                  encrypt: false)
            }
        } catch {
            Log.error("Error during initialisation of cipher from \(connection.name) (\(connection.hostname)): \(error)")
            return false
        }
        connection.inBudget = Daemon.byteBudget(cipher)

        guard request.digest != 0 else {
            Log.error("\(connection.name) (\(connection.hostname)) uses null digest!")
            return false
        }
        guard let digest = DigestAlgorithm.nid(request.digest) else {
            Log.error("Node \(connection.name) (\(connection.hostname)) uses unknown digest!")
            return false
        }
        if request.macLength > digest.size || request.macLength < 0 {
            Log.error("\(connection.name) (\(connection.hostname)) uses bogus MAC length!")
            return false
        }
        connection.inDigest = digest
        connection.allow = .only(.challenge)
        return sendChallenge(connection)
    }

    // MARK: CHALLENGE

    func sendChallenge(_ connection: Connection) -> Bool {
        guard let peerKey = connection.peerKey else { return false }
        connection.challengeSent = Crypto.randomBytes(peerKey.size)
        return sendRequest(connection, ChallengeRequest(challenge: Hex.encode(connection.challengeSent)).line)
    }

    func handleChallenge(_ line: Substring, _ connection: Connection) -> Bool {
        guard let request = parseRequest(ChallengeRequest.self, line, connection) else { return false }
        if request.challenge.utf8.count != privateKey.size * 2 {
            Log.error("Possible intruder \(connection.name) (\(connection.hostname)): wrong challenge length")
            return false
        }
        guard let challenge = Hex.decode(Substring(request.challenge)) else {
            Log.error("Got bad CHALLENGE from \(connection.name)(\(connection.hostname)): invalid challenge")
            return false
        }
        connection.challengeReceived = challenge
        connection.allow = .only(.challengeReply)
        if connection.outgoing != nil {
            return sendChallengeReply(connection)
        }
        return true
    }

    // MARK: CHAL_REPLY

    func sendChallengeReply(_ connection: Connection) -> Bool {
        guard let digest = connection.inDigest else { return false }
        let hash = connection.challengeReceived.withUnsafeBytes { digest.hash($0) }
        return sendRequest(connection, ChallengeReplyRequest(hash: Hex.encode(hash)).line)
    }

    func handleChallengeReply(_ line: Substring, _ connection: Connection) -> Bool {
        guard let request = parseRequest(ChallengeReplyRequest.self, line, connection) else { return false }
        let digest = connection.outDigest
        if request.hash.utf8.count != digest.size * 2 {
            Log.error("Possible intruder \(connection.name) (\(connection.hostname)): wrong challenge reply length")
            return false
        }
        guard let reply = Hex.decode(Substring(request.hash)) else {
            Log.error("Got bad CHAL_REPLY from \(connection.name)(\(connection.hostname)): invalid hash")
            return false
        }
        let expected = connection.challengeSent.withUnsafeBytes { digest.hash($0) }
        guard constantTimeEqual(reply, expected) else {
            Log.error("Possible intruder \(connection.name) (\(connection.hostname)): wrong challenge reply")
            return false
        }

        // The peer has proven that it has the private key matching its host file.
        connection.allow = .only(.ack)
        if connection.outgoing == nil && !sendChallengeReply(connection) {
            return false
        }
        return sendAck(connection)
    }

    // MARK: ACK

    func sendAck(_ connection: Connection) -> Bool {
        connection.estimatedWeight = Int32(((now - connection.started) * 1000).rounded(.down))
        let hostConfig = connection.hostConfig ?? Config()
        if (try? hostConfig.bool("IndirectData")) == true || myself.options & ConnectionOption.indirect != 0 {
            connection.options |= ConnectionOption.indirect
        }
        if (try? hostConfig.bool("TCPOnly")) == true || myself.options & ConnectionOption.tcpOnly != 0 {
            connection.options |= ConnectionOption.tcpOnly | ConnectionOption.indirect
        }
        if myself.options & ConnectionOption.pmtuDiscovery != 0 && connection.options & ConnectionOption.tcpOnly == 0 {
            connection.options |= ConnectionOption.pmtuDiscovery
        }
        var clamp = myself.options & ConnectionOption.clampMSS != 0
        if let value = try? hostConfig.bool("ClampMSS") { clamp = value }
        if clamp { connection.options |= ConnectionOption.clampMSS }
        if let weight = try? hostConfig.int("Weight") { connection.estimatedWeight = Int32(weight) }

        return sendRequest(connection, AckRequest(port: settings.port, weight: connection.estimatedWeight, options: connection.options).line)
    }

    func handleAck(_ line: Substring, _ connection: Connection) -> Bool {
        guard let request = parseRequest(AckRequest.self, line, connection) else { return false }
        let node = lookupOrCreateNode(connection.name)
        if let old = node.connection, old !== connection {
            Log.debug(.connections, .debug, "Established a second connection with \(node.name) (\(old.hostname)), closing old connection")
            old.outgoing = nil
            terminate(old, report: false)
            runGraph()
        }
        node.connection = connection
        connection.node = node

        var peerOptions = request.options
        if connection.options & peerOptions & ConnectionOption.pmtuDiscovery == 0 {
            connection.options &= ~ConnectionOption.pmtuDiscovery
            peerOptions &= ~ConnectionOption.pmtuDiscovery
        }
        connection.options |= peerOptions
        let hostConfig = connection.hostConfig ?? Config()
        if let mtu = try? hostConfig.int("PMTU"), mtu < node.mtu { node.mtu = mtu }
        if let mtu = try? serverConfig.int("PMTU"), mtu < node.mtu { node.mtu = mtu }
        if let clamp = try? hostConfig.bool("ClampMSS") {
            if clamp { connection.options |= ConnectionOption.clampMSS } else { connection.options &= ~ConnectionOption.clampMSS }
        }

        connection.allow = .all
        connection.active = true
        Log.debug(.connections, .notice, "Connection with \(connection.name) (\(connection.hostname)) activated")

        sendEverything(connection)

        var address = connection.address
        if let port = UInt16(request.port) { address.port = port }
        let edge = Edge(from: myself.name, to: node.name, address: address.host, port: String(address.port),
                        options: connection.options, weight: (request.weight + connection.estimatedWeight) / 2)
        connection.edge = edge
        graph.add(edge)
        sendAddEdge(to: nil, edge)
        runGraph()
        return true
    }

    /// Sends every subnet and edge we know to a newly activated connection (tinc's send_everything).
    func sendEverything(_ connection: Connection) {
        for name in nodes.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            for subnet in subnets.subnets(of: name) {
                sendAddSubnet(to: connection, owner: name, subnet)
            }
            for edge in graph.edges(from: name) {
                sendAddEdge(to: connection, edge)
            }
        }
    }
}

func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
