internal import CLZO
internal import CZlib

/// Packet compression as tinc 1.0.36 does it: level 1 to 9 is zlib (compress2 at that level),
/// 10 is LZO lzo1x_1 and 11 is LZO lzo1x_999. Like tinc, output may be at most
/// `PacketLimits.maxSize` bytes, and a result of 0 bytes counts as a failure.
///
/// One instance keeps its zlib stream or LZO work memory for its whole life, so compressing a
/// packet allocates nothing. deflateReset followed by one deflate(Z_FINISH) gives the same bytes
/// as compress2.
///
/// NOTE: a zlib deflate state takes about 260 KB (zlib 1.2.13 defaults) and LZO's work memory 128 KB (level 10) or
/// 448 KB (level 11), once per sealer. tinc 1.0.36 shares one buffer for all peers instead.
final class Compressor {
    private let level: Int
    private let stream: UnsafeMutablePointer<z_stream>?
    private let workMemory: UnsafeMutableRawBufferPointer?

    /// Returns the output room LZO needs for `inputLength` bytes. LZO's compressors do not check
    /// the output length, so the buffer must fit the worst case n + n/16 + 64 + 3 (LZO 2.10 FAQ).
    static func outputCapacity(for inputLength: Int) -> Int {
        inputLength + inputLength / 16 + 64 + 3
    }

    /// Returns nil when zlib cannot set up a stream. `level` must be 1...11.
    init?(level: Int) {
        precondition((1...11).contains(level), "compression level \(level) out of range")
        self.level = level

        if level <= 9 {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard deflateInit_(stream, Int32(level), zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                stream.deallocate()
                return nil
            }
            self.stream = stream
            self.workMemory = nil
        } else {
            guard LZO.initialized else { return nil }
            let size = level == 10 ? LZO.compressMemory1 : LZO.compressMemory999
            self.stream = nil
            self.workMemory = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        }
    }

    deinit {
        if let stream {
            deflateEnd(stream)
            stream.deallocate()
        }
        workMemory?.deallocate()
    }

    /// Compresses `input` into `output` and returns the compressed length, or nil on failure.
    /// `output` needs `outputCapacity(for: input.count)` bytes for LZO.
    func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        guard let outputBase = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        let inputBase = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let limit = min(output.count, PacketLimits.maxSize)

        var length: Int
        if let stream {
            guard deflateReset(stream) == Z_OK else { return nil }
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inputBase)
            stream.pointee.avail_in = UInt32(input.count)
            stream.pointee.next_out = outputBase
            stream.pointee.avail_out = UInt32(limit)
            // Anything but Z_STREAM_END means the output did not fit, which compress2 reports
            // as Z_BUF_ERROR.
            guard deflate(stream, Z_FINISH) == Z_STREAM_END else { return nil }
            length = Int(stream.pointee.total_out)
        } else {
            precondition(output.count >= Compressor.outputCapacity(for: input.count), "LZO output buffer too small")
            var written: lzo_uint = 0
            let result = level == 10
                ? lzo1x_1_compress(inputBase, lzo_uint(input.count), outputBase, &written, workMemory?.baseAddress)
                : lzo1x_999_compress(inputBase, lzo_uint(input.count), outputBase, &written, workMemory?.baseAddress)
            // tinc ignores LZO's result and could overrun MAXSIZE; here a longer result fails.
            guard result == LZO_E_OK, written <= limit else { return nil }
            length = Int(written)
        }
        return length > 0 ? length : nil
    }
}

/// The receiving side of `Compressor`: zlib uncompress for levels 1 to 9 and
/// lzo1x_decompress_safe for 10 and 11, each into at most `PacketLimits.maxSize` bytes.
final class Decompressor {
    private let stream: UnsafeMutablePointer<z_stream>?

    /// Returns nil when zlib cannot set up a stream. `level` must be 1...11.
    init?(level: Int) {
        precondition((1...11).contains(level), "compression level \(level) out of range")
        if level <= 9 {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard inflateInit_(stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                stream.deallocate()
                return nil
            }
            self.stream = stream
        } else {
            guard LZO.initialized else { return nil }
            self.stream = nil
        }
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
    }

    /// Decompresses `input` into `output` and returns the length, or nil when the input is not a
    /// complete stream, the result would exceed `PacketLimits.maxSize`, or it is empty.
    func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        guard let outputBase = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        let inputBase = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let limit = min(output.count, PacketLimits.maxSize)

        var length: Int
        if let stream {
            // inflateReset keeps the 32 KB window that the first inflate allocated.
            guard inflateReset(stream) == Z_OK else { return nil }
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inputBase)
            stream.pointee.avail_in = UInt32(input.count)
            stream.pointee.next_out = outputBase
            stream.pointee.avail_out = UInt32(limit)
            // uncompress succeeds exactly when inflate reaches the end of the stream.
            guard inflate(stream, Z_FINISH) == Z_STREAM_END else { return nil }
            length = Int(stream.pointee.total_out)
        } else {
            var written = lzo_uint(limit)
            guard lzo1x_decompress_safe(inputBase, lzo_uint(input.count), outputBase, &written, nil) == LZO_E_OK else {
                return nil
            }
            length = Int(written)
        }
        return length > 0 ? length : nil
    }
}

/// LZO 2.10's one-time setup and work memory sizes, which lzo1x.h defines as C macros.
private enum LZO {
    /// LZO1X_1_MEM_COMPRESS: 16384 dictionary entries of one pointer each.
    static let compressMemory1 = 16384 * MemoryLayout<UnsafeRawPointer>.size
    /// LZO1X_999_MEM_COMPRESS: 14 * 16384 shorts.
    static let compressMemory999 = 14 * 16384 * MemoryLayout<CShort>.size

    /// The result of lzo_init(), a macro that passes the caller's type sizes to __lzo_init_v2 so
    /// the library can check them. A static let runs this once per process.
    static let initialized: Bool = {
        let pointerSize = Int32(MemoryLayout<UnsafeRawPointer>.size)
        let result = __lzo_init_v2(
            UInt32(LZO_VERSION),
            Int32(MemoryLayout<CShort>.size), Int32(MemoryLayout<CInt>.size), Int32(MemoryLayout<CLong>.size),
            Int32(MemoryLayout<UInt32>.size), Int32(MemoryLayout<lzo_uint>.size),
            pointerSize, pointerSize, pointerSize,
            Int32(MemoryLayout<lzo_callback_t>.size))
        return result == LZO_E_OK
    }()
}
