import Etcd
import TincBase
import TincConfig
import TincCrypto

/// A peer's host file from `configs/NAME` that passed validation.
public struct PeerHostFile: Sendable, Equatable {
    public var name: String
    /// The etcd value, written to hosts/NAME unchanged.
    public var text: String
    public var revision: Int64

    public init(name: String, text: String, revision: Int64) {
        self.name = name
        self.text = text
        self.revision = revision
    }
}

/// Why a value under `configs/` was rejected.
public struct InvalidHostFile: Error, Equatable, CustomStringConvertible {
    public let key: String
    public let reason: String

    public var description: String { "Ignoring etcd key \(key): \(reason)" }
}

/// Checks values under `configs/` before any of them reaches hosts/. Any client with write
/// access to etcd can set these values, and hosts/NAME is a path, so the name and the content
/// must both be what tincd 1.0.36 accepts from a host file written by hand.
public enum HostFileValidation {
    /// The maximum value size in bytes. A host file with one 16384-bit key is under 4 KiB.
    public static let maxValueSize = 16 * 1024

    public static func validate(_ keyValue: EtcdKeyValue, configsPrefix: String) -> Result<PeerHostFile, InvalidHostFile> {
        let key = keyValue.key
        func reject(_ reason: String) -> Result<PeerHostFile, InvalidHostFile> {
            .failure(InvalidHostFile(key: key, reason: reason))
        }

        guard let name = EtcdKeys.lastComponent(of: key, under: configsPrefix), NodeName.isValid(name) else {
            return reject("the key does not end in a valid node name (ASCII letters, digits and '_')")
        }
        let size = keyValue.value.utf8.count
        guard size <= maxValueSize else {
            return reject("the value has \(size) bytes, more than the maximum \(maxValueSize)")
        }

        let config: Config
        do {
            config = try ConfigParser.parse(text: keyValue.value, file: key)
        } catch {
            return reject("the value is not a tinc host file: \(error)")
        }
        guard config.first("Address") != nil else {
            return reject("the host file has no Address")
        }
        do {
            _ = try config.subnets("Subnet")
        } catch {
            return reject("\(error)")
        }
        do {
            _ = try RSAKey.publicKey(pem: keyValue.value)
        } catch {
            return reject("the host file contains no valid RSA public key (\(error))")
        }
        return .success(PeerHostFile(name: name, text: keyValue.value, revision: keyValue.modifiedRevision))
    }
}

/// Logs each rejected value once per key and revision, so a bad value that stays in etcd is not
/// reported again on every re-read, but a new bad revision of the same key is.
public struct RejectionLog: Sendable {
    private var reported: [String: Int64] = [:]

    public init() {}

    /// Returns true when this key and revision were not reported yet, and records them.
    public mutating func shouldReport(_ key: String, revision: Int64) -> Bool {
        if reported[key] == revision { return false }
        reported[key] = revision
        return true
    }

    /// Forgets a key that was deleted, so a later value at any revision is reported again.
    public mutating func forget(_ key: String) {
        reported[key] = nil
    }
}
