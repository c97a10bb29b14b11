internal import COpenSSL

/// An RSA key pair or public key (EVP_PKEY), as tinc 1.0.36 keeps in rsa_key.priv and hosts/NAME.
///
/// `@unchecked Sendable` because the EVP_PKEY is never changed after init, and OpenSSL 3 allows
/// several threads to use one unchanged EVP_PKEY at once. Every operation makes its own
/// EVP_PKEY_CTX.
public final class RSAKey: @unchecked Sendable {
    private let key: OpaquePointer
    /// True when the key contains the private exponent, so `privateDecryptRaw` works.
    public let hasPrivateKey: Bool

    private init(_ key: OpaquePointer, hasPrivateKey: Bool) {
        self.key = key
        self.hasPrivateKey = hasPrivateKey
    }

    deinit {
        EVP_PKEY_free(key)
    }

    // MARK: - PEM input

    /// Reads the first public key block in `pem`: "RSA PUBLIC KEY" (PKCS#1, what tincd -K writes
    /// to hosts/NAME) or "PUBLIC KEY" (SubjectPublicKeyInfo). Lines before the block, such as a
    /// host file's `Address = ...`, are skipped.
    public static func publicKey(pem: String) throws(CryptoError) -> RSAKey {
        Crypto.initialize()
        // The decoder context keeps the name pointers until it is freed, so the C strings must
        // stay alive around its whole use.
        let result = "PEM".withCString { inputType in
            "RSA".withCString { keyType in
                decodePublicKey(pem, inputType: inputType, keyType: keyType)
            }
        }
        return try result.get()
    }

    private static func decodePublicKey(_ pem: String, inputType: UnsafePointer<CChar>,
                                        keyType: UnsafePointer<CChar>) -> Result<RSAKey, CryptoError> {
        // No structure is named: the "RSA PUBLIC KEY" PEM type selects PKCS#1 and "PUBLIC KEY"
        // selects SubjectPublicKeyInfo.
        var key: OpaquePointer?
        guard let decoder = OSSL_DECODER_CTX_new_for_pkey(&key, inputType, nil, keyType, publicSelection, nil, nil) else {
            return .failure(CryptoError("OSSL_DECODER_CTX_new_for_pkey"))
        }
        defer { OSSL_DECODER_CTX_free(decoder) }

        let utf8 = Array(pem.utf8)
        let ok = utf8.withUnsafeBufferPointer { bytes in
            var data = bytes.baseAddress
            var length = bytes.count
            return OSSL_DECODER_from_data(decoder, &data, &length)
        }
        guard ok == 1, let key else {
            return .failure(CryptoError("Reading RSA public key"))
        }
        return .success(RSAKey(key, hasPrivateKey: false))
    }

    /// Reads the first private key block in `pem`: "RSA PRIVATE KEY" (PKCS#1, what tincd -K
    /// writes to rsa_key.priv) or "PRIVATE KEY" (PKCS#8). Encrypted keys are rejected rather than
    /// prompting for a passphrase.
    public static func privateKey(pem: String) throws(CryptoError) -> RSAKey {
        Crypto.initialize()
        let bio = try memoryBIO(pem)
        defer { BIO_free(bio) }

        // A passphrase callback that returns no passphrase, so OpenSSL does not prompt on the tty.
        guard let key = PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) else {
            throw CryptoError("Reading RSA private key")
        }
        guard EVP_PKEY_is_a(key, "RSA") == 1 else {
            EVP_PKEY_free(key)
            throw CryptoError("Reading RSA private key", reason: "the key is not an RSA key")
        }
        return RSAKey(key, hasPrivateKey: true)
    }

    /// Generates a key pair with public exponent 65537, as tincd -K does.
    public static func generate(bits: Int) throws(CryptoError) -> RSAKey {
        Crypto.initialize()
        // OpenSSL 3.0 keeps the key type pointer in the EVP_PKEY_CTX, so the C string must
        // outlive the context.
        let result = "RSA".withCString { keyType in
            generate(bits: bits, keyType: keyType)
        }
        return try result.get()
    }

    private static func generate(bits: Int, keyType: UnsafePointer<CChar>) -> Result<RSAKey, CryptoError> {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, keyType, nil) else {
            return .failure(CryptoError("EVP_PKEY_CTX_new_from_name(RSA)"))
        }
        defer { EVP_PKEY_CTX_free(context) }

        // OpenSSL 3's default public exponent is 65537 (RSA_F4).
        guard EVP_PKEY_keygen_init(context) == 1,
              EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(clamping: bits)) == 1 else {
            return .failure(CryptoError("EVP_PKEY_keygen_init"))
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(context, &key) == 1, let key else {
            return .failure(CryptoError("EVP_PKEY_generate(\(bits) bits)"))
        }
        return .success(RSAKey(key, hasPrivateKey: true))
    }

    // MARK: - Properties

    /// Modulus length in bytes (RSA_size), which is also the length of a METAKEY block.
    public var size: Int { Int(EVP_PKEY_get_size(key)) }

    /// True when both keys have the same modulus and public exponent (EVP_PKEY_eq).
    public func matches(_ other: RSAKey) -> Bool {
        let equal = EVP_PKEY_eq(key, other.key) == 1
        ERR_clear_error()
        return equal
    }

    // MARK: - Raw RSA

    /// Encrypts exactly `size` bytes with RSA_NO_PADDING, as tinc 1.0.36 sends METAKEY. The input,
    /// read as a big-endian number, must be smaller than the modulus.
    public func publicEncryptRaw(_ input: [UInt8]) throws(CryptoError) -> [UInt8] {
        try rawOperation(input, decrypt: false)
    }

    /// Decrypts exactly `size` bytes with RSA_NO_PADDING, as tinc 1.0.36 reads METAKEY.
    public func privateDecryptRaw(_ input: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard hasPrivateKey else {
            throw CryptoError("EVP_PKEY_decrypt", reason: "the key has no private part")
        }
        return try rawOperation(input, decrypt: true)
    }

    private func rawOperation(_ input: [UInt8], decrypt: Bool) throws(CryptoError) -> [UInt8] {
        let operation = decrypt ? "EVP_PKEY_decrypt" : "EVP_PKEY_encrypt"
        guard input.count == size else {
            throw CryptoError(operation, reason: "input is \(input.count) bytes, the key needs \(size)")
        }
        guard let context = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else {
            throw CryptoError("EVP_PKEY_CTX_new_from_pkey")
        }
        defer { EVP_PKEY_CTX_free(context) }

        let initialized = decrypt ? EVP_PKEY_decrypt_init(context) : EVP_PKEY_encrypt_init(context)
        guard initialized == 1, EVP_PKEY_CTX_set_rsa_padding(context, RSA_NO_PADDING) == 1 else {
            throw CryptoError(operation + "_init")
        }

        var output = [UInt8](repeating: 0, count: size)
        var length = output.count
        let ok = output.withUnsafeMutableBufferPointer { out in
            decrypt
                ? EVP_PKEY_decrypt(context, out.baseAddress, &length, input, input.count)
                : EVP_PKEY_encrypt(context, out.baseAddress, &length, input, input.count)
        }
        guard ok == 1 else {
            throw CryptoError(operation)
        }
        // Without padding the result is always the full modulus length, leading zeros included.
        guard length == size else {
            throw CryptoError(operation, reason: "returned \(length) bytes, expected \(size)")
        }
        return output
    }

    // MARK: - PEM output

    /// Returns the public key as "-----BEGIN RSA PUBLIC KEY-----" (PKCS#1), the format that
    /// tincd -K appends to hosts/NAME.
    public func publicKeyPEM() throws(CryptoError) -> String {
        try encode(selection: RSAKey.publicSelection)
    }

    /// Returns the key pair as "-----BEGIN RSA PRIVATE KEY-----" (PKCS#1, unencrypted), the
    /// format that tincd -K writes to rsa_key.priv.
    public func privateKeyPEM() throws(CryptoError) -> String {
        guard hasPrivateKey else {
            throw CryptoError("Writing RSA private key", reason: "the key has no private part")
        }
        return try encode(selection: RSAKey.keyPairSelection)
    }

    /// Encodes with OSSL_ENCODER as PEM in the "type-specific" structure, which for RSA is PKCS#1.
    private func encode(selection: Int32) throws(CryptoError) -> String {
        // The encoder context keeps the name pointers until it is freed, so the C strings must
        // stay alive around its whole use.
        let result = "PEM".withCString { outputType in
            "type-specific".withCString { structure in
                RSAKey.encode(key, selection: selection, outputType: outputType, structure: structure)
            }
        }
        return try result.get()
    }

    private static func encode(_ key: OpaquePointer, selection: Int32, outputType: UnsafePointer<CChar>,
                               structure: UnsafePointer<CChar>) -> Result<String, CryptoError> {
        guard let encoder = OSSL_ENCODER_CTX_new_for_pkey(key, selection, outputType, structure, nil) else {
            return .failure(CryptoError("OSSL_ENCODER_CTX_new_for_pkey"))
        }
        defer { OSSL_ENCODER_CTX_free(encoder) }
        guard let bio = BIO_new(BIO_s_mem()) else {
            return .failure(CryptoError("BIO_new"))
        }
        defer { BIO_free(bio) }

        guard OSSL_ENCODER_to_bio(encoder, bio) == 1 else {
            return .failure(CryptoError("OSSL_ENCODER_to_bio"))
        }
        var text = [UInt8](repeating: 0, count: Int(BIO_ctrl_pending(bio)))
        guard BIO_read(bio, &text, Int32(text.count)) == Int32(text.count) else {
            return .failure(CryptoError("BIO_read"))
        }
        return .success(String(decoding: text, as: UTF8.self))
    }

    // MARK: - Helpers

    /// EVP_PKEY_PUBLIC_KEY and EVP_PKEY_KEYPAIR, which are C macros built from the
    /// OSSL_KEYMGMT_SELECT_* bits.
    private static let publicSelection = OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS
        | OSSL_KEYMGMT_SELECT_OTHER_PARAMETERS | OSSL_KEYMGMT_SELECT_PUBLIC_KEY
    private static let keyPairSelection = publicSelection | OSSL_KEYMGMT_SELECT_PRIVATE_KEY

    private static func memoryBIO(_ text: String) throws(CryptoError) -> OpaquePointer {
        // BIO_new_mem_buf does not copy, so the BIO gets its own writable copy instead.
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw CryptoError("BIO_new")
        }
        let utf8 = Array(text.utf8)
        guard utf8.isEmpty || BIO_write(bio, utf8, Int32(utf8.count)) == Int32(utf8.count) else {
            BIO_free(bio)
            throw CryptoError("BIO_write")
        }
        return bio
    }
}
