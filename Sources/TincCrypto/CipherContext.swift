internal import COpenSSL

/// An EVP_CIPHER_CTX set up once with a key and IV and then reused, so that encrypting or
/// decrypting a packet allocates nothing.
///
/// Not Sendable: each call changes the context's state, so one thread at a time may use it.
public final class CipherContext {
    public let algorithm: CipherAlgorithm
    private let context: OpaquePointer
    /// A copy of the IV, restored before every `oneShot`.
    private let iv: UnsafeMutableRawBufferPointer

    /// Sets up the context with EVP_CipherInit_ex. `key` must be exactly `keyLength` bytes and
    /// `iv` exactly `ivLength` bytes. tinc takes both from its key material: the key first, then
    /// the IV.
    public init(algorithm: CipherAlgorithm, key: UnsafeRawBufferPointer, iv: UnsafeRawBufferPointer,
                encrypt: Bool) throws(CryptoError) {
        Crypto.initialize()
        guard key.count == algorithm.keyLength else {
            throw CryptoError("EVP_CipherInit_ex", reason:
                "\(algorithm.name) needs a \(algorithm.keyLength)-byte key, got \(key.count) bytes")
        }
        guard iv.count == algorithm.ivLength else {
            throw CryptoError("EVP_CipherInit_ex", reason:
                "\(algorithm.name) needs a \(algorithm.ivLength)-byte IV, got \(iv.count) bytes")
        }
        guard let context = EVP_CIPHER_CTX_new() else {
            throw CryptoError("EVP_CIPHER_CTX_new")
        }
        let ok = EVP_CipherInit_ex(context, algorithm.pointer, nil, key.bytePointer, iv.bytePointer,
                                   encrypt ? 1 : 0)
        guard ok == 1 else {
            let error = CryptoError("EVP_CipherInit_ex")
            EVP_CIPHER_CTX_free(context)
            throw error
        }

        self.algorithm = algorithm
        self.context = context
        self.iv = UnsafeMutableRawBufferPointer.allocate(byteCount: iv.count, alignment: 16)
        self.iv.copyMemory(from: iv)
    }

    deinit {
        EVP_CIPHER_CTX_free(context)
        iv.deallocate()
    }

    /// Continues the stream with EVP_CipherUpdate, as the meta connection does with its CFB
    /// cipher: two calls give the same bytes as one call over both inputs. Returns the number of
    /// bytes written, which equals `input.count` for stream modes (CFB, OFB). `output` may be the
    /// same memory as `input`, and needs room for `input.count + blockSize - 1` bytes.
    public func update(_ input: UnsafeRawBufferPointer,
                       into output: UnsafeMutableRawBufferPointer) throws(CryptoError) -> Int {
        precondition(output.count >= input.count + algorithm.blockSize - 1, "cipher output buffer too small")
        guard !input.isEmpty else { return 0 }
        guard input.count <= Int(Int32.max) else {
            throw CryptoError("EVP_CipherUpdate", reason: "input of \(input.count) bytes is too long")
        }

        var written: Int32 = 0
        guard EVP_CipherUpdate(context, output.mutableBytePointer, &written, input.bytePointer,
                               Int32(input.count)) == 1 else {
            throw CryptoError("EVP_CipherUpdate")
        }
        return Int(written)
    }

    /// Encrypts or decrypts one whole packet: restores the original IV, then runs
    /// EVP_CipherUpdate and EVP_CipherFinal_ex with PKCS padding. Returns the bytes written.
    /// `output` needs room for `input.count + blockSize` bytes.
    ///
    /// tinc 1.0.36 resets with EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, NULL), which in
    /// OpenSSL 3.0 restores the IV given at setup for CBC, CFB and OFB. This passes the saved IV
    /// explicitly instead, which gives the same bytes without relying on that behaviour.
    public func oneShot(_ input: UnsafeRawBufferPointer,
                        into output: UnsafeMutableRawBufferPointer) throws(CryptoError) -> Int {
        precondition(output.count >= input.count + algorithm.blockSize, "cipher output buffer too small")
        guard input.count <= Int(Int32.max) - algorithm.blockSize else {
            throw CryptoError("EVP_CipherUpdate", reason: "input of \(input.count) bytes is too long")
        }

        // Key and cipher stay as they are (NULL); enc = -1 keeps the direction.
        guard EVP_CipherInit_ex(context, nil, nil, nil, UnsafeRawBufferPointer(iv).bytePointer, -1) == 1 else {
            throw CryptoError("EVP_CipherInit_ex")
        }

        var updated: Int32 = 0
        if !input.isEmpty {
            guard EVP_CipherUpdate(context, output.mutableBytePointer, &updated, input.bytePointer,
                                   Int32(input.count)) == 1 else {
                throw CryptoError("EVP_CipherUpdate")
            }
        }

        var finished: Int32 = 0
        let tail = output.mutableBytePointer.map { $0 + Int(updated) }
        guard EVP_CipherFinal_ex(context, tail, &finished) == 1 else {
            throw CryptoError("EVP_CipherFinal_ex")
        }
        return Int(updated) + Int(finished)
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes as `const unsigned char *`, or nil for an empty buffer without storage.
    var bytePointer: UnsafePointer<UInt8>? {
        baseAddress?.assumingMemoryBound(to: UInt8.self)
    }
}

extension UnsafeMutableRawBufferPointer {
    /// The bytes as `unsigned char *`, or nil for an empty buffer without storage.
    var mutableBytePointer: UnsafeMutablePointer<UInt8>? {
        baseAddress?.assumingMemoryBound(to: UInt8.self)
    }
}
