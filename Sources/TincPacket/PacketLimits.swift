// TincPacket seals and opens tinc 1.0.36's UDP packets (net_packet.c). One datagram is
//
//     encrypt(seqno || compress(payload)) || MAC
//
// where seqno is 4 bytes big-endian, the cipher runs with PKCS padding from the key's IV for
// every packet, and MAC is the first macLength bytes of HMAC(digest, whole key material,
// everything before it). The payload is tinc's packet data: a 14-byte Ethernet header and the
// frame or IP packet after it.

/// Sizes from tinc 1.0.36 net.h for the standard (non-jumbo) build.
public enum PacketLimits {
    /// tinc's MTU: 1500 bytes of payload, the 14-byte Ethernet header and a 4-byte VLAN tag.
    public static let mtu = 1518

    /// tinc's MAXSIZE, the capacity of a packet's data: MTU + seqno + EVP_MAX_BLOCK_LENGTH (32) +
    /// EVP_MAX_MD_SIZE (64) + compressor overhead (MTU/64 + 20), which is 1661 bytes.
    public static let maxSize = mtu + 4 + 32 + 64 + compressionOverhead

    /// The maximum length of a datagram sealed or opened. It equals `maxSize` because tinc 1.0.36 reads at
    /// most MAXSIZE bytes per datagram, so anything longer would reach it truncated.
    public static let maxDatagram = maxSize

    /// tinc's MAX_SEQNO: once a peer's received seqno exceeds it, tincd expires its key at once.
    public static let maxSequenceNumber: UInt32 = 1 << 30

    /// MTU/64 + 20, which tinc subtracts from a compressed packet's length before MTU probing.
    static let compressionOverhead = mtu / 64 + 20

    /// The seqno in front of each packet.
    static let seqnoLength = 4

    /// EVP_MAX_MD_SIZE in OpenSSL 3.0, the longest full HMAC.
    static let maxDigestSize = 64

    /// EVP_MAX_BLOCK_LENGTH in OpenSSL 3.0, the longest cipher block.
    static let maxBlockSize = 32
}
