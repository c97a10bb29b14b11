#if canImport(Glibc)
import Glibc
#endif
import TincBase
import TincConfig
import TincCrypto

/// `tincd -K`: makes an RSA key pair, appends the private key to rsa_key.priv and the public key
/// to hosts/NAME (or rsa_key.pub without a Name), as tincd 1.0.36 does. Keys already in those
/// files are disabled first by renaming their PEM markers to "OLD", so they are kept but unused.
enum KeyGenerator {
    static func generate(bits: Int, directory: ConfigDirectory, options: [(host: String?, entry: ConfigEntry)]) -> Bool {
        printError("Generating \(bits) bits keys:")
        let key: RSAKey
        let privatePEM: String
        let publicPEM: String
        do {
            key = try RSAKey.generate(bits: bits)
            privatePEM = try key.privateKeyPEM()
            publicPEM = try key.publicKeyPEM()
        } catch {
            printError("Error during key generation! \(error)")
            return false
        }
        printError("Done.")

        let privatePath = directory.path + "/rsa_key.priv"
        guard append(privatePEM, to: privatePath, mode: 0o600) else { return false }

        var publicPath = directory.path + "/rsa_key.pub"
        if let config = try? directory.readServerConfig(options: options), let raw = config.string("Name"),
           let name = try? ConfigDirectory.resolveName(raw) {
            publicPath = directory.hostFile(name)
        }
        return append(publicPEM, to: publicPath, mode: 0o644)
    }

    /// Disables old keys in `path`, then writes the file back with "\n" + `pem` appended, atomically.
    private static func append(_ pem: String, to path: String, mode: mode_t) -> Bool {
        var existing = readTextFile(path) ?? ""
        var mode = mode
        var status = stat()
        if stat(path, &status) == 0 { mode = status.st_mode & 0o7777 }
        if mode & 0o077 != 0 && path.hasSuffix("rsa_key.priv") { mode = 0o600 }

        let disabled = disableOldKeys(existing)
        if disabled != existing {
            existing = disabled
            printError("Warning: old key(s) found and disabled.")
        }
        let contents = existing + "\n" + pem
        if !writeFileAtomically(path: path, contents: Array(contents.utf8), mode: mode) {
            printError("Error opening file `\(path)': \(String(cString: strerror(errno)))")
            return false
        }
        return true
    }

    /// "-----BEGIN RSA ..." becomes "-----BEGIN OLD ..." and likewise for END.
    static func disableOldKeys(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for index in lines.indices {
            if lines[index].hasPrefix("-----BEGIN RSA") {
                lines[index] = "-----BEGIN OLD" + lines[index].dropFirst("-----BEGIN RSA".count)
            } else if lines[index].hasPrefix("-----END RSA") {
                lines[index] = "-----END OLD" + lines[index].dropFirst("-----END RSA".count)
            }
        }
        return lines.joined(separator: "\n")
    }
}
