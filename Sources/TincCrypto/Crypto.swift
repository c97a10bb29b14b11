// TincCrypto wraps the parts of OpenSSL 3 that tinc 1.0.36 uses: EVP ciphers and digests, HMAC,
// raw RSA for the meta key exchange, PEM key files and the random generator.

internal import COpenSSL
import TincBase

public enum Crypto {
    /// Loads OpenSSL's "default" and "legacy" providers once per process. The legacy provider
    /// supplies Blowfish, which peers configured with `Cipher = blowfish` (bf-cbc, bf-ofb) need.
    /// Calling it again does nothing. A missing legacy provider is logged as a warning.
    public static func initialize() {
        _ = providersLoaded
    }

    // Swift initializes a static let lazily and atomically (swift_once), so racing threads load
    // the providers once.
    private static let providersLoaded: Bool = {
        // Loading any provider explicitly stops OpenSSL from loading "default" on its own.
        guard OSSL_PROVIDER_load(nil, "default") != nil else {
            Log.error("Could not load the OpenSSL default provider: \(CryptoError.drainQueue())")
            return false
        }
        if OSSL_PROVIDER_load(nil, "legacy") == nil {
            Log.warning("Could not load the OpenSSL legacy provider, so Blowfish ciphers are unavailable: "
                + CryptoError.drainQueue())
        }
        return true
    }()

    /// Returns `count` bytes from RAND_bytes.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { randomBytes(into: $0) }
        return bytes
    }

    /// Fills `buffer` from RAND_bytes. A failing generator stops the process, because carrying on
    /// would mean sending keys that are not random.
    public static func randomBytes(into buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        guard RAND_bytes(base.assumingMemoryBound(to: UInt8.self), Int32(buffer.count)) == 1 else {
            fatalError("RAND_bytes failed: \(CryptoError.drainQueue())")
        }
    }
}

/// A failed OpenSSL call: which step failed and what OpenSSL's error queue contained.
public struct CryptoError: Error, CustomStringConvertible {
    /// The OpenSSL function or step that failed, for example "EVP_EncryptInit_ex".
    public var operation: String
    /// OpenSSL's error strings joined with "; ", or a reason of our own when OpenSSL gave none.
    public var reason: String

    public init(_ operation: String, reason: String) {
        self.operation = operation
        self.reason = reason
    }

    /// Takes the reason from OpenSSL's error queue of the current thread and empties the queue.
    public init(_ operation: String) {
        self.init(operation, reason: CryptoError.drainQueue())
    }

    public var description: String {
        reason.isEmpty ? "\(operation) failed" : "\(operation) failed: \(reason)"
    }

    /// Empties the error queue of the current thread and returns its entries, oldest first.
    static func drainQueue() -> String {
        var messages: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while case let code = ERR_get_error(), code != 0 {
            let message = buffer.withUnsafeMutableBufferPointer { text in
                ERR_error_string_n(code, text.baseAddress, text.count)
                return String(cString: text.baseAddress!)
            }
            messages.append(message)
        }
        return messages.joined(separator: "; ")
    }
}
