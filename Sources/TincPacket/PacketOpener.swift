import TincBase
import TincCrypto

/// The reason an incoming datagram was dropped.
public enum OpenError: Error, Equatable {
    /// Shorter than seqno plus MAC, or the decrypted data is shorter than a seqno.
    case tooShort
    /// Longer than `PacketLimits.maxDatagram`, which tinc 1.0.36 would have truncated.
    case tooLong
    case badMAC
    case decryptFailed
    /// At or behind the replay window, or already received.
    case replayed(seqno: UInt32, last: UInt32)
    /// A whole window or more ahead, and among the first ReplayWindow/4 such packets in a row.
    case farFuture(seqno: UInt32)
    case decompressFailed
}

/// Opens incoming packets from one peer with the key we announced to it (receive_udppacket in
/// tinc 1.0.36 net_packet.c): check length and MAC, decrypt, check the seqno against the replay
/// window, decompress.
///
/// Rejections are thrown, not logged, so the caller logs them with the node's name and address.
/// The one line logged here is tinc's "Lost N packets" (debug level traffic), which no error
/// reports. Opening a packet allocates nothing in this module.
/// Not Sendable: use one opener per peer per thread.
public final class PacketOpener {
    public let key: PacketKey
    /// The peer as the "Lost N packets" line names it, "NAME (HOSTNAME)".
    public var peer: String = "unknown"

    private let cipher: CipherContext?
    private let hmac: HMACContext?
    private let macLength: Int
    /// Datagrams shorter than this are dropped before the MAC check.
    private let minimumLength: Int
    private let decompressor: Decompressor?
    private let replay: ReplayWindow
    /// Decrypted seqno || payload.
    private let decrypted: UnsafeMutableRawBufferPointer
    /// The full HMAC computed over a datagram.
    private let fullMAC: UnsafeMutableRawBufferPointer

    /// Sets up the contexts for our own `key`, with a replay window of `replayWindow` bytes
    /// (tinc's ReplayWindow, 0 to turn replay checks off).
    public init(key: PacketKey, replayWindow: Int = 16) throws(PacketError) {
        try key.validate()
        self.key = key

        let contexts = try PacketContexts(key: key, encrypt: false)
        cipher = contexts.cipher
        hmac = contexts.hmac
        macLength = hmac == nil ? 0 : key.macLength

        // tinc 1.0.36 counts MACLength in the length check even with `Digest = none`. It adds the
        // int to a size_t, so a MACLength below -4 wraps around and every packet is too short.
        let required = PacketLimits.seqnoLength + key.macLength
        minimumLength = required >= 0 ? required : Int.max

        if key.compression != 0 {
            guard let decompressor = Decompressor(level: key.compression) else {
                throw .contextFailed("could not set up compression level \(key.compression)")
            }
            self.decompressor = decompressor
        } else {
            decompressor = nil
        }

        replay = ReplayWindow(byteCount: replayWindow)
        decrypted = UnsafeMutableRawBufferPointer.allocate(
            byteCount: PacketLimits.maxDatagram + PacketLimits.maxBlockSize, alignment: 16)
        fullMAC = UnsafeMutableRawBufferPointer.allocate(byteCount: PacketLimits.maxDigestSize, alignment: 16)
    }

    deinit {
        decrypted.deallocate()
        fullMAC.deallocate()
    }

    /// The highest seqno received with this key (tinc's received_seqno).
    public var receivedSequenceNumber: UInt32 {
        get { replay.received }
        set { replay.received = newValue }
    }

    /// Far-future packets dropped in a row (tinc's farfuture). tinc keeps this count per node
    /// across new keys, so carry it over when replacing an opener to match it exactly.
    public var farFutureCount: UInt32 {
        get { replay.farFuture }
        set { replay.farFuture = newValue }
    }

    /// Opens `datagram` and writes its payload into `output`, which has room for
    /// `PacketLimits.maxSize` bytes. Returns the payload length and the length that tinc's
    /// mtu_probe_h receives: the length before decompression, less MTU/64 + 20 when compressed,
    /// wrapped to 16 bits like tinc's length_t.
    ///
    /// The replay window is updated before decompression, so a packet that then fails to
    /// decompress still uses up its seqno, as in tinc.
    public func open(_ datagram: UnsafeRawBufferPointer,
                     into output: UnsafeMutableRawBufferPointer) throws(OpenError) -> (length: Int, originalLength: Int) {
        precondition(output.count >= PacketLimits.maxSize, "payload buffer smaller than PacketLimits.maxSize")

        // Check the length.
        guard datagram.count <= PacketLimits.maxDatagram else {
            throw .tooLong
        }
        guard datagram.count >= minimumLength else {
            throw .tooShort
        }

        // Check the MAC over everything before it.
        var sealedLength = datagram.count
        if hmac != nil {
            sealedLength -= macLength
            guard macMatches(datagram, sealedLength: sealedLength) else {
                throw .badMAC
            }
        }

        // Decrypt.
        let sealed = UnsafeRawBufferPointer(rebasing: datagram[..<sealedLength])
        var plaintext = sealed
        if let cipher {
            do {
                let length = try cipher.oneShot(sealed, into: decrypted)
                plaintext = UnsafeRawBufferPointer(rebasing: decrypted[..<length])
            } catch {
                throw .decryptFailed
            }
        }

        // tinc 1.0.36 would underflow its length here and read past the packet; this drops it.
        guard plaintext.count >= PacketLimits.seqnoLength else {
            throw .tooShort
        }

        // Check the sequence number.
        let seqno = UInt32(bigEndian: plaintext.loadUnaligned(as: UInt32.self))
        let last = replay.received
        switch replay.check(seqno) {
        case .accepted:
            break
        case .acceptedAfterLoss(let lost):
            Log.debug(.traffic, .warning, "Lost \(Int32(bitPattern: lost)) packets from \(self.peer)")
        case .replayed:
            throw .replayed(seqno: seqno, last: last)
        case .farFuture:
            throw .farFuture(seqno: seqno)
        }

        // Decompress.
        let body = UnsafeRawBufferPointer(rebasing: plaintext[PacketLimits.seqnoLength...])
        guard let decompressor else {
            UnsafeMutableRawBufferPointer(rebasing: output[..<body.count]).copyMemory(from: body)
            return (body.count, body.count)
        }
        guard let length = decompressor.decompress(body, into: output) else {
            throw .decompressFailed
        }
        let originalLength = Int(UInt16(truncatingIfNeeded: body.count - PacketLimits.compressionOverhead))
        return (length, originalLength)
    }

    /// tinc's try_mac: true when the datagram carries a MAC and it verifies with this key. tincd
    /// uses it to find which node sent a datagram from an address it does not know.
    public func verifiesMAC(_ datagram: UnsafeRawBufferPointer) -> Bool {
        guard hmac != nil,
              datagram.count >= PacketLimits.seqnoLength + macLength,
              datagram.count <= PacketLimits.maxDatagram else {
            return false
        }
        return macMatches(datagram, sealedLength: datagram.count - macLength)
    }

    /// Compares the MAC after `sealedLength` bytes with our HMAC of those bytes, in time that
    /// does not depend on where they differ.
    private func macMatches(_ datagram: UnsafeRawBufferPointer, sealedLength: Int) -> Bool {
        guard let hmac else { return false }
        let computed = hmac.compute(UnsafeRawBufferPointer(rebasing: datagram[..<sealedLength]), into: fullMAC)
        guard computed >= macLength else { return false }

        var difference: UInt8 = 0
        for offset in 0..<macLength {
            difference |= fullMAC[offset] ^ datagram[sealedLength + offset]
        }
        return difference == 0
    }
}
