internal import COpenSSL

/// A symmetric cipher as OpenSSL's EVP layer names it, for example aes-256-cbc or bf-cbc.
///
/// `@unchecked Sendable` because the wrapped `const EVP_CIPHER *` comes from OpenSSL's built-in
/// table (EVP_get_cipherbyname, EVP_aes_256_cbc), lives as long as the process and is never
/// written, so any thread may read it.
public struct CipherAlgorithm: @unchecked Sendable, Equatable {
    /// The `const EVP_CIPHER *`.
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Looks a cipher up with EVP_get_cipherbyname, as tinc does for `Cipher = NAME`.
    /// OpenSSL's names are case-insensitive; "blowfish" is an alias of "bf-cbc".
    public static func named(_ name: String) -> CipherAlgorithm? {
        Crypto.initialize()
        return EVP_get_cipherbyname(name).map(CipherAlgorithm.init)
    }

    /// Looks a cipher up by the NID that ANS_KEY carries, like EVP_get_cipherbynid (a C macro
    /// over OBJ_nid2sn and EVP_get_cipherbyname).
    public static func nid(_ nid: Int32) -> CipherAlgorithm? {
        guard nid > 0, let shortName = OBJ_nid2sn(nid) else {
            ERR_clear_error()
            return nil
        }
        Crypto.initialize()
        return EVP_get_cipherbyname(shortName).map(CipherAlgorithm.init)
    }

    public static var aes256cbc: CipherAlgorithm { CipherAlgorithm(EVP_aes_256_cbc()) }
    public static var aes128cfb: CipherAlgorithm { CipherAlgorithm(EVP_aes_128_cfb128()) }
    public static var aes192cfb: CipherAlgorithm { CipherAlgorithm(EVP_aes_192_cfb128()) }
    public static var aes256cfb: CipherAlgorithm { CipherAlgorithm(EVP_aes_256_cfb128()) }

    /// EVP_CIPHER_get_nid, the number tinc sends in ANS_KEY.
    public var nid: Int32 { EVP_CIPHER_get_nid(pointer) }
    /// OpenSSL's short name, for example "AES-256-CBC".
    public var name: String { OBJ_nid2sn(nid).map { String(cString: $0) } ?? "nid \(nid)" }
    /// Key length in bytes (EVP_CIPHER_get_key_length).
    public var keyLength: Int { Int(EVP_CIPHER_get_key_length(pointer)) }
    /// IV length in bytes (EVP_CIPHER_get_iv_length).
    public var ivLength: Int { Int(EVP_CIPHER_get_iv_length(pointer)) }
    /// Block size in bytes (EVP_CIPHER_get_block_size), 1 for stream modes such as CFB.
    public var blockSize: Int { Int(EVP_CIPHER_get_block_size(pointer)) }

    public static func == (lhs: CipherAlgorithm, rhs: CipherAlgorithm) -> Bool {
        lhs.nid == rhs.nid
    }
}

/// A message digest as OpenSSL's EVP layer names it, for example sha256.
///
/// `@unchecked Sendable` for the same reason as `CipherAlgorithm`: the `const EVP_MD *` is a
/// static, read-only OpenSSL table entry.
public struct DigestAlgorithm: @unchecked Sendable, Equatable {
    /// The `const EVP_MD *`.
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Looks a digest up with EVP_get_digestbyname, as tinc does for `Digest = NAME`.
    public static func named(_ name: String) -> DigestAlgorithm? {
        Crypto.initialize()
        return EVP_get_digestbyname(name).map(DigestAlgorithm.init)
    }

    /// Looks a digest up by the NID that ANS_KEY carries, like EVP_get_digestbynid.
    public static func nid(_ nid: Int32) -> DigestAlgorithm? {
        guard nid > 0, let shortName = OBJ_nid2sn(nid) else {
            ERR_clear_error()
            return nil
        }
        Crypto.initialize()
        return EVP_get_digestbyname(shortName).map(DigestAlgorithm.init)
    }

    public static var sha1: DigestAlgorithm { DigestAlgorithm(EVP_sha1()) }
    public static var sha256: DigestAlgorithm { DigestAlgorithm(EVP_sha256()) }

    /// EVP_MD_get_type, the number tinc sends in ANS_KEY (EVP_MD_type in tinc 1.0.36).
    public var nid: Int32 { EVP_MD_get_type(pointer) }
    /// OpenSSL's short name, for example "SHA256".
    public var name: String { OBJ_nid2sn(nid).map { String(cString: $0) } ?? "nid \(nid)" }
    /// Digest length in bytes (EVP_MD_get_size).
    public var size: Int { Int(EVP_MD_get_size(pointer)) }

    /// Returns the digest of `data` (EVP_Digest). Allocates, so it is not for the packet path.
    public func hash(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = output.withUnsafeMutableBufferPointer { out in
            EVP_Digest(data.baseAddress, data.count, out.baseAddress, &length, pointer, nil)
        }
        // EVP_Digest fails on allocation or provider errors, after which there is no digest to return.
        precondition(ok == 1, "EVP_Digest failed: \(CryptoError.drainQueue())")
        return Array(output[0..<Int(length)])
    }

    public static func == (lhs: DigestAlgorithm, rhs: DigestAlgorithm) -> Bool {
        lhs.nid == rhs.nid
    }
}
