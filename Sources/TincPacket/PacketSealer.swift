import TincBase
import TincCrypto

/// Seals outgoing packets for one peer with the key that peer announced (send_udppacket in
/// tinc 1.0.36 net_packet.c): compress, prepend the next seqno, encrypt, append the MAC.
///
/// The cipher and HMAC contexts and the scratch buffer are made once per key, so sealing a
/// packet allocates nothing in this module. Not Sendable: use one sealer per peer per thread.
public final class PacketSealer {
    public let key: PacketKey
    /// The seqno of the last packet sealed. It starts at 0, so the first packet carries 1, and
    /// wraps at UInt32.max as tinc's sent_seqno does.
    public var sequenceNumber: UInt32 = 0
    /// The peer as log lines name it, "NAME (HOSTNAME)".
    public var peer: String = "unknown"

    private let cipher: CipherContext?
    private let hmac: HMACContext?
    private let macLength: Int
    private let compressor: Compressor?
    /// seqno || compressed payload, before encryption.
    private let plaintext: UnsafeMutableRawBufferPointer
    /// The full HMAC, of which `macLength` bytes go on the wire.
    private let fullMAC: UnsafeMutableRawBufferPointer

    /// Sets up the contexts for `key`. Throws when the key's parameters do not fit together
    /// (the checks of `PacketKey.fromAnnouncement`) or OpenSSL rejects them.
    public init(key: PacketKey) throws(PacketError) {
        try key.validate()
        self.key = key

        let contexts = try PacketContexts(key: key, encrypt: true)
        cipher = contexts.cipher
        hmac = contexts.hmac
        macLength = hmac == nil ? 0 : key.macLength

        if key.compression != 0 {
            guard let compressor = Compressor(level: key.compression) else {
                throw .contextFailed("could not set up compression level \(key.compression)")
            }
            self.compressor = compressor
        } else {
            compressor = nil
        }

        let plaintextCapacity = PacketLimits.seqnoLength + Compressor.outputCapacity(for: PacketLimits.maxSize)
        plaintext = UnsafeMutableRawBufferPointer.allocate(byteCount: plaintextCapacity, alignment: 16)
        fullMAC = UnsafeMutableRawBufferPointer.allocate(byteCount: PacketLimits.maxDigestSize, alignment: 16)
    }

    deinit {
        plaintext.deallocate()
        fullMAC.deallocate()
    }

    /// Writes one datagram for `payload` into `output` and returns its length. `payload` is at
    /// most `PacketLimits.maxSize` bytes and `output` has room for `PacketLimits.maxDatagram`.
    ///
    /// Returns nil, and logs why at debug level traffic, when compression or encryption fails
    /// or the datagram would be longer than `PacketLimits.maxDatagram`. The seqno is used up
    /// only when compression succeeded and the datagram fits, as in tinc.
    public func seal(_ payload: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        precondition(output.count >= PacketLimits.maxDatagram, "datagram buffer smaller than PacketLimits.maxDatagram")
        guard payload.count <= PacketLimits.maxSize else {
            Log.debug(.traffic, .error, "Packet of \(payload.count) bytes to \(self.peer) is too long to send")
            return nil
        }

        // Compress the payload into place behind the seqno.
        let body = UnsafeMutableRawBufferPointer(rebasing: plaintext[PacketLimits.seqnoLength...])
        var bodyLength = payload.count
        if let compressor {
            guard let compressed = compressor.compress(payload, into: body) else {
                Log.debug(.traffic, .error, "Error while compressing packet to \(self.peer)")
                return nil
            }
            bodyLength = compressed
        } else if !payload.isEmpty {
            body.copyMemory(from: payload)
        }

        // Check that padding and MAC still fit, allowing a whole block of padding.
        let plaintextLength = PacketLimits.seqnoLength + bodyLength
        let padding = cipher?.algorithm.blockSize ?? 0
        guard plaintextLength + padding + macLength <= PacketLimits.maxDatagram else {
            Log.debug(.traffic, .error, "Packet to \(self.peer) would exceed \(PacketLimits.maxDatagram) bytes")
            return nil
        }

        // Add the sequence number.
        sequenceNumber &+= 1
        plaintext.storeBytes(of: sequenceNumber.bigEndian, toByteOffset: 0, as: UInt32.self)

        // Encrypt seqno and payload together.
        let sealedPlaintext = UnsafeRawBufferPointer(rebasing: plaintext[..<plaintextLength])
        var length = plaintextLength
        if let cipher {
            do {
                length = try cipher.oneShot(sealedPlaintext, into: output)
            } catch {
                Log.debug(.traffic, .error, "Error while encrypting packet to \(self.peer): \(error.reason)")
                return nil
            }
        } else {
            output.copyMemory(from: sealedPlaintext)
        }

        // Append the first macLength bytes of the HMAC over everything before it.
        if let hmac {
            let computed = hmac.compute(UnsafeRawBufferPointer(rebasing: output[..<length]), into: fullMAC)
            guard computed >= macLength else {
                Log.debug(.traffic, .error, "Error while computing the MAC for packet to \(self.peer)")
                return nil
            }
            UnsafeMutableRawBufferPointer(rebasing: output[length..<(length + macLength)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: fullMAC[..<macLength]))
            length += macLength
        }
        return length
    }
}

/// The cipher and HMAC contexts of one packet key, shared by sealer and opener setup.
struct PacketContexts {
    var cipher: CipherContext?
    var hmac: HMACContext?

    init(key: PacketKey, encrypt: Bool) throws(PacketError) {
        do {
            if let algorithm = key.cipher {
                // The key material is the cipher key followed by the IV.
                try key.keyMaterial.withUnsafeBytes { material in
                    let keyBytes = UnsafeRawBufferPointer(rebasing: material[..<algorithm.keyLength])
                    let ivBytes = UnsafeRawBufferPointer(rebasing: material[algorithm.keyLength...])
                    cipher = try CipherContext(algorithm: algorithm, key: keyBytes, iv: ivBytes, encrypt: encrypt)
                }
            }
            // tinc applies a MAC only when there is a digest and a nonzero MAC length.
            if let digest = key.digest, key.macLength > 0 {
                try key.keyMaterial.withUnsafeBytes { material in
                    hmac = try HMACContext(digest: digest, key: material)
                }
            }
        } catch {
            throw .contextFailed("\(error)")
        }
    }
}
