#if canImport(Glibc)
import Glibc
#endif
import EventLoop
import TincBase
import TincConfig
import TincCrypto
import TincGraph
import TincProtocol

/// The requests a meta connection accepts next: one step of the authentication handshake, or
/// everything once it is active (tinc's allow_request).
enum AllowedRequest: Equatable {
    case only(RequestType)
    case all
}

/// One meta connection (TCP) to a peer, in either role.
///
/// The byte streams in both directions switch to a stream cipher after METAKEY; `inBuffer` contains
/// received bytes, decrypted up to `decryptedEnd` once decryption is on.
final class Connection {
    var name: String
    var hostname: String
    var address: SocketAddress
    var fd: Int32 = -1
    let id: Int

    /// Set for connections we initiate, from a ConnectTo.
    var outgoing: Outgoing?
    var allow: AllowedRequest = .only(.id)
    var connecting = false
    var active = false
    var pinged = false
    var removed = false
    var inMinimumSpanningTree = false

    /// hosts/NAME of the peer, read when its ID arrives.
    var hostConfig: Config?
    var peerKey: RSAKey?
    var protocolVersion = 0

    // Meta-connection cipher state (tinc protocol_auth.c).
    var outCipher: CipherAlgorithm
    var outDigest: DigestAlgorithm
    var inDigest: DigestAlgorithm?
    var encryptor: CipherContext?
    var decryptor: CipherContext?
    var outBudget: UInt64 = .max
    var inBudget: UInt64 = .max
    var challengeSent: [UInt8] = []
    var challengeReceived: [UInt8] = []

    var options: UInt32 = 0
    var estimatedWeight: Int32 = 0
    let started: Double
    var lastPingTime: Double
    var lastFlushedTime: Double

    var node: Node?
    var edge: Edge?

    // Buffers.
    var inBuffer: [UInt8] = []
    var decryptedEnd = 0
    /// Length of a PACKET body still expected after a "17 LEN" line.
    var pendingPacketLength = 0
    var outBuffer: [UInt8] = []
    var outStart = 0

    init(id: Int, name: String, address: SocketAddress, outCipher: CipherAlgorithm, outDigest: DigestAlgorithm, now: Double) {
        self.id = id
        self.name = name
        self.address = address
        self.hostname = address.description
        self.outCipher = outCipher
        self.outDigest = outDigest
        self.started = now
        self.lastPingTime = now
        self.lastFlushedTime = now
    }

    var pendingOutput: Int { outBuffer.count - outStart }

    /// Appends bytes to the output buffer, encrypting them when the stream cipher is on.
    /// Returns false when the byte budget of the cipher is exhausted or encryption fails.
    func queue(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if pendingOutput == 0 { outStart = 0; outBuffer.removeAll(keepingCapacity: true) }
        guard let encryptor else {
            outBuffer.append(contentsOf: bytes)
            return true
        }
        if UInt64(bytes.count) > outBudget {
            Log.error("Byte limit exceeded for encryption to \(name) (\(hostname))")
            return false
        }
        outBudget -= UInt64(bytes.count)
        let start = outBuffer.count
        outBuffer.append(contentsOf: repeatElement(0, count: bytes.count))
        do {
            let written = try outBuffer.withUnsafeMutableBytes { output in
                try encryptor.update(bytes, into: UnsafeMutableRawBufferPointer(rebasing: output[start...]))
            }
            if written != bytes.count {
                Log.error("Error while encrypting metadata to \(name) (\(hostname)): short output")
                return false
            }
        } catch {
            Log.error("Error while encrypting metadata to \(name) (\(hostname)): \(error)")
            return false
        }
        return true
    }

    enum FlushResult { case done, wouldBlock, closed, failed(Int32) }

    /// Writes as much of the output buffer as the socket takes.
    func flush() -> FlushResult {
        while pendingOutput > 0 {
            let sent = outBuffer.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + outStart, pendingOutput, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
                if code == EPIPE { return .closed }
                return .failed(code)
            }
            outStart += sent
        }
        outStart = 0
        outBuffer.removeAll(keepingCapacity: true)
        return .done
    }

    /// Decrypts received bytes from `decryptedEnd` to the end of the buffer.
    func decryptPending() -> Bool {
        guard let decryptor, decryptedEnd < inBuffer.count else { return true }
        let count = inBuffer.count - decryptedEnd
        if UInt64(count) > inBudget {
            Log.error("Byte limit exceeded for decryption from \(name) (\(hostname))")
            return false
        }
        inBudget -= UInt64(count)
        let start = decryptedEnd
        let scratch = Array(inBuffer[start...])
        do {
            let written = try scratch.withUnsafeBytes { input in
                try inBuffer.withUnsafeMutableBytes { output in
                    try decryptor.update(input, into: UnsafeMutableRawBufferPointer(rebasing: output[start...]))
                }
            }
            if written != count {
                Log.error("Error while decrypting metadata from \(name) (\(hostname)): short output")
                return false
            }
        } catch {
            Log.error("Error while decrypting metadata from \(name) (\(hostname)): \(error)")
            return false
        }
        decryptedEnd = inBuffer.count
        return true
    }
}

/// An outgoing connection wanted by a ConnectTo line, with its retry state.
final class Outgoing {
    let name: String
    /// Seconds to wait before the next attempt; grows by 5 up to MaxTimeout (tinc retry_outgoing).
    var timeout = 0
    var timer: TimerID?
    /// Addresses still to try in this round, from the host file's Address lines.
    var pendingAddresses: [SocketAddress] = []
    var addressLines: [String] = []
    var cancelled = false

    init(name: String) {
        self.name = name
    }
}
