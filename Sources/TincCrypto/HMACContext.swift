internal import COpenSSL

/// An HMAC keyed once and reused for every packet of one key.
///
/// SHA-1 and SHA-2 digests use `SHAHMAC`, which allocates nothing per packet. Other digests go
/// through EVP_MAC; OpenSSL 3.0 re-initialises that by duplicating digest contexts, which costs
/// two small mallocs inside libcrypto per `compute` (measured with CRYPTO_set_mem_functions on 3.0.19).
///
/// Not Sendable: `compute` changes the context's state, so one thread at a time may use it.
public final class HMACContext {
    public let digest: DigestAlgorithm
    private let mac: OpaquePointer
    private let context: OpaquePointer
    private let fast: SHAHMAC?

    /// Sets the key with EVP_MAC_init. tinc keys the packet HMAC with its whole key material,
    /// cipher key and IV together.
    public init(digest: DigestAlgorithm, key: UnsafeRawBufferPointer) throws(CryptoError) {
        Crypto.initialize()
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else {
            throw CryptoError("EVP_MAC_fetch(HMAC)")
        }
        guard let context = EVP_MAC_CTX_new(mac) else {
            let error = CryptoError("EVP_MAC_CTX_new")
            EVP_MAC_free(mac)
            throw error
        }

        // EVP_MAC_init copies the key. The extra byte keeps the pointer non-NULL for an empty key.
        let keyCopy = Array(key) + [0]
        let ok = digest.name.withCString { digestName in
            "digest".withCString { parameterName in
                var parameters = [
                    OSSL_PARAM_construct_utf8_string(parameterName, UnsafeMutablePointer(mutating: digestName), 0),
                    OSSL_PARAM_construct_end(),
                ]
                return EVP_MAC_init(context, keyCopy, key.count, &parameters)
            }
        }
        guard ok == 1 else {
            let error = CryptoError("EVP_MAC_init(\(digest.name))")
            EVP_MAC_CTX_free(context)
            EVP_MAC_free(mac)
            throw error
        }

        self.digest = digest
        self.mac = mac
        self.context = context
        self.fast = SHAHMAC(nid: digest.nid, key: key)
    }

    deinit {
        EVP_MAC_CTX_free(context)
        EVP_MAC_free(mac)
    }

    /// Writes the full HMAC of `data` (digest size bytes) to the start of `output` and returns
    /// its length. Returns 0 if OpenSSL fails, so a caller comparing MACs rejects the packet.
    public func compute(_ data: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        precondition(output.count >= digest.size, "HMAC output buffer too small")
        if let fast, output.count >= 64 {
            return fast.compute(data, into: output.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }

        // A NULL key restarts the HMAC with the key given at setup.
        guard EVP_MAC_init(context, nil, 0, nil) == 1,
              EVP_MAC_update(context, data.bytePointer, data.count) == 1 else {
            ERR_clear_error()
            return 0
        }
        var length = 0
        guard EVP_MAC_final(context, output.mutableBytePointer, &length, output.count) == 1 else {
            ERR_clear_error()
            return 0
        }
        return length
    }
}
