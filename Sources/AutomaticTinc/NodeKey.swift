import TincBase
import TincCrypto

/// This node's RSA key pair in rsa_key.priv, generated on the first start and kept afterwards,
/// so that restarts keep the identity that peers know from `configs/NAME`.
public enum NodeKey {
    public enum Failure: Error, CustomStringConvertible {
        case file(FileError)
        case crypto(path: String, CryptoError)

        public var description: String {
            switch self {
            case .file(let error): return "\(error)"
            case .crypto(let path, let error): return "RSA key \(path): \(error)"
            }
        }
    }

    /// Loads the private key from `path`, or generates one of `bits` bits and writes it there
    /// with mode 600 when the file does not exist. A file that exists but contains no valid key is
    /// an error, not a reason to replace the key.
    public static func loadOrGenerate(path: String, bits: Int) throws(Failure) -> RSAKey {
        let existing: String?
        do {
            existing = try FileIO.readText(path)
        } catch {
            throw .file(error)
        }
        if let existing {
            do {
                return try RSAKey.privateKey(pem: existing)
            } catch {
                throw .crypto(path: path, error)
            }
        }

        Log.notice("Generating a \(bits) bit RSA key in \(path)")
        let key: RSAKey
        let pem: String
        do {
            key = try RSAKey.generate(bits: bits)
            pem = try key.privateKeyPEM()
        } catch {
            throw .crypto(path: path, error)
        }
        do {
            try FileIO.writeIfChanged(path, contents: pem, mode: 0o600)
        } catch {
            throw .file(error)
        }
        return key
    }
}
