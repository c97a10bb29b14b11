internal import COpenSSL

/// HMAC (RFC 2104) over SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512 with the keyed inner and
/// outer states computed once. Each `compute` copies the two states as plain structs, so it
/// allocates nothing, unlike EVP_MAC in OpenSSL 3.0, and it hashes two blocks fewer per packet.
struct SHAHMAC {
    private enum State {
        case sha1(inner: SHA_CTX, outer: SHA_CTX)
        case sha256(inner: SHA256_CTX, outer: SHA256_CTX, truncatedTo224: Bool)
        case sha512(inner: SHA512_CTX, outer: SHA512_CTX, truncatedTo384: Bool)
    }

    private let state: State
    let size: Int

    /// Returns nil for digests other than the SHA-1 and SHA-2 family, which take the EVP path.
    init?(nid: Int32, key: UnsafeRawBufferPointer) {
        let blockSize: Int
        switch nid {
        case NID_sha1: blockSize = 64; size = 20
        case NID_sha224: blockSize = 64; size = 28
        case NID_sha256: blockSize = 64; size = 32
        case NID_sha384: blockSize = 128; size = 48
        case NID_sha512: blockSize = 128; size = 64
        default: return nil
        }

        // A key longer than the block is replaced by its digest; a shorter one is zero-padded.
        var block = [UInt8](repeating: 0, count: blockSize)
        if key.count > blockSize {
            let digest = SHAHMAC.hash(nid: nid, key)
            block.replaceSubrange(0..<digest.count, with: digest)
        } else {
            for index in 0..<key.count { block[index] = key[index] }
        }
        let innerPad = block.map { $0 ^ 0x36 }
        let outerPad = block.map { $0 ^ 0x5c }

        switch nid {
        case NID_sha1:
            var inner = SHA_CTX(), outer = SHA_CTX()
            copenssl_sha1_init(&inner)
            copenssl_sha1_init(&outer)
            copenssl_sha1_update(&inner, innerPad, innerPad.count)
            copenssl_sha1_update(&outer, outerPad, outerPad.count)
            state = .sha1(inner: inner, outer: outer)
        case NID_sha224, NID_sha256:
            var inner = SHA256_CTX(), outer = SHA256_CTX()
            if nid == NID_sha224 {
                copenssl_sha224_init(&inner)
                copenssl_sha224_init(&outer)
            } else {
                copenssl_sha256_init(&inner)
                copenssl_sha256_init(&outer)
            }
            copenssl_sha256_update(&inner, innerPad, innerPad.count)
            copenssl_sha256_update(&outer, outerPad, outerPad.count)
            state = .sha256(inner: inner, outer: outer, truncatedTo224: nid == NID_sha224)
        default:
            var inner = SHA512_CTX(), outer = SHA512_CTX()
            if nid == NID_sha384 {
                copenssl_sha384_init(&inner)
                copenssl_sha384_init(&outer)
            } else {
                copenssl_sha512_init(&inner)
                copenssl_sha512_init(&outer)
            }
            copenssl_sha512_update(&inner, innerPad, innerPad.count)
            copenssl_sha512_update(&outer, outerPad, outerPad.count)
            state = .sha512(inner: inner, outer: outer, truncatedTo384: nid == NID_sha384)
        }
    }

    /// Writes the full HMAC of `data` to the start of `output` (at least 64 bytes) and returns its length.
    func compute(_ data: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>) -> Int {
        // The inner digest lives in a fixed-size tuple on the stack: no allocation.
        var innerDigest: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &innerDigest) { scratch in
            let digest = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
            switch state {
            case .sha1(var inner, var outer):
                copenssl_sha1_update(&inner, data.baseAddress, data.count)
                copenssl_sha1_final(digest, &inner)
                copenssl_sha1_update(&outer, digest, size)
                copenssl_sha1_final(output, &outer)
            case .sha256(var inner, var outer, let truncated):
                copenssl_sha256_update(&inner, data.baseAddress, data.count)
                if truncated { copenssl_sha224_final(digest, &inner) } else { copenssl_sha256_final(digest, &inner) }
                copenssl_sha256_update(&outer, digest, size)
                if truncated { copenssl_sha224_final(output, &outer) } else { copenssl_sha256_final(output, &outer) }
            case .sha512(var inner, var outer, let truncated):
                copenssl_sha512_update(&inner, data.baseAddress, data.count)
                if truncated { copenssl_sha384_final(digest, &inner) } else { copenssl_sha512_final(digest, &inner) }
                copenssl_sha512_update(&outer, digest, size)
                if truncated { copenssl_sha384_final(output, &outer) } else { copenssl_sha512_final(output, &outer) }
            }
            return size
        }
    }

    private static func hash(nid: Int32, _ data: UnsafeRawBufferPointer) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 64)
        switch nid {
        case NID_sha1:
            var context = SHA_CTX()
            copenssl_sha1_init(&context)
            copenssl_sha1_update(&context, data.baseAddress, data.count)
            copenssl_sha1_final(&output, &context)
            return Array(output[0..<20])
        case NID_sha224, NID_sha256:
            var context = SHA256_CTX()
            if nid == NID_sha224 { copenssl_sha224_init(&context) } else { copenssl_sha256_init(&context) }
            copenssl_sha256_update(&context, data.baseAddress, data.count)
            if nid == NID_sha224 { copenssl_sha224_final(&output, &context) } else { copenssl_sha256_final(&output, &context) }
            return Array(output[0..<(nid == NID_sha224 ? 28 : 32)])
        default:
            var context = SHA512_CTX()
            if nid == NID_sha384 { copenssl_sha384_init(&context) } else { copenssl_sha512_init(&context) }
            copenssl_sha512_update(&context, data.baseAddress, data.count)
            if nid == NID_sha384 { copenssl_sha384_final(&output, &context) } else { copenssl_sha512_final(&output, &context) }
            return Array(output[0..<(nid == NID_sha384 ? 48 : 64)])
        }
    }
}
