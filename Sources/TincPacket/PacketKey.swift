import TincCrypto

/// The packet parameters of one direction, as one ANS_KEY request announces them.
public struct PacketKey: Sendable, CustomStringConvertible {
    /// nil is `Cipher = none`: no encryption.
    public var cipher: CipherAlgorithm?
    /// nil is `Digest = none`: no MAC.
    public var digest: DigestAlgorithm?
    /// Bytes of the HMAC appended to each packet; 0 means no MAC.
    public var macLength: Int
    /// 0 none, 1 to 9 zlib at that level, 10 LZO lzo1x_1, 11 LZO lzo1x_999.
    public var compression: Int
    /// The cipher key followed by the IV, or one byte when there is no cipher. The whole of it
    /// is also the HMAC key.
    public var keyMaterial: [UInt8]

    public init(cipher: CipherAlgorithm?, digest: DigestAlgorithm?, macLength: Int, compression: Int,
                keyMaterial: [UInt8]) {
        self.cipher = cipher
        self.digest = digest
        self.macLength = macLength
        self.compression = compression
        self.keyMaterial = keyMaterial
    }

    /// A summary without the key material, so that printing or logging a key does not show it.
    public var description: String {
        "PacketKey(cipher: \(cipher?.name ?? "none"), digest: \(digest?.name ?? "none"), "
            + "macLength: \(macLength), compression: \(compression), \(keyMaterial.count) key bytes)"
    }

    /// keyLength + ivLength of `cipher`, or 1 without a cipher (tinc's inkeylength).
    public static func keyMaterialLength(for cipher: CipherAlgorithm?) -> Int {
        guard let cipher else { return 1 }
        return cipher.keyLength + cipher.ivLength
    }

    /// Makes a key with fresh random key material, as send_ans_key does for every new key.
    public static func generate(cipher: CipherAlgorithm?, digest: DigestAlgorithm?, macLength: Int,
                                compression: Int) -> PacketKey {
        PacketKey(cipher: cipher, digest: digest, macLength: macLength, compression: compression,
                  keyMaterial: Crypto.randomBytes(keyMaterialLength(for: cipher)))
    }

    /// Builds the key a peer announced in ANS_KEY, with the checks of tinc 1.0.36 ans_key_h in
    /// its order: key hex, cipher, key length, digest, MAC length, compression level.
    ///
    /// As in tinc, an odd last hex digit is ignored, and the MAC length is only checked when
    /// there is a digest, because without one no MAC is sent.
    public static func fromAnnouncement(cipherNID: Int32, digestNID: Int32, macLength: Int, compression: Int,
                                        keyHex: Substring) throws(PacketError) -> PacketKey {
        guard let keyMaterial = decodeHex(keyHex) else {
            throw .invalidKey
        }

        var cipher: CipherAlgorithm?
        if cipherNID != 0 {
            guard let found = CipherAlgorithm.nid(cipherNID) else {
                throw .unknownCipher
            }
            cipher = found
        }

        var digest: DigestAlgorithm?
        if digestNID != 0 {
            guard let found = DigestAlgorithm.nid(digestNID) else {
                throw .unknownDigest
            }
            digest = found
        }

        let key = PacketKey(cipher: cipher, digest: digest, macLength: macLength, compression: compression,
                            keyMaterial: keyMaterial)
        try key.validate()
        return key
    }

    /// Checks that the parameters fit together, in the order and with the rules of ans_key_h.
    func validate() throws(PacketError) {
        guard keyMaterial.count == PacketKey.keyMaterialLength(for: cipher) else {
            throw .wrongKeyLength
        }
        if let digest, macLength < 0 || macLength > digest.size {
            throw .bogusMACLength
        }
        guard (0...11).contains(compression) else {
            throw .bogusCompressionLevel
        }
    }

    /// Decodes `text.count / 2` bytes like tinc's hex2bin; nil when a pair is not hexadecimal.
    private static func decodeHex(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count - 1, by: 2) {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// A reason for rejecting a packet key. `description` is tinc 1.0.36's wording, which its logs print
/// as "Node NAME (HOST) uses wrong keylength!" or, for `invalidKey`,
/// "Got bad ANS_KEY from NAME(HOST): invalid key".
public enum PacketError: Error, Equatable, CustomStringConvertible {
    case invalidKey
    case unknownCipher
    case wrongKeyLength
    case unknownDigest
    case bogusMACLength
    case bogusCompressionLevel
    /// OpenSSL could not set up a cipher or HMAC context with the key. The text contains OpenSSL's reason.
    case contextFailed(String)

    public var description: String {
        switch self {
        case .invalidKey: "invalid key"
        case .unknownCipher: "uses unknown cipher"
        case .wrongKeyLength: "uses wrong keylength"
        case .unknownDigest: "uses unknown digest"
        case .bogusMACLength: "uses bogus MAC length"
        case .bogusCompressionLevel: "uses bogus compression level"
        case .contextFailed(let reason): "could not set up the packet key: \(reason)"
        }
    }
}
