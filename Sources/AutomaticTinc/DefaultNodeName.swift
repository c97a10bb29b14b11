#if canImport(Glibc)
import Glibc
#endif
import TincBase

/// The node name used when --name is not given: the host name up to its first '.', with every
/// character outside A-Z, a-z, 0-9 and '_' replaced by '_' (one '_' per UTF-8 byte, as tincd
/// 1.0.36 does for `Name = $HOST`).
public enum DefaultNodeName {
    public static func derive(hostname: String) -> String? {
        let shortName = hostname.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let name = NodeName.sanitize(String(shortName))
        return NodeName.isValid(name) ? name : nil
    }

    /// Reads the host name with gethostname(2). HOST_NAME_MAX on Linux is 64 bytes.
    public static func systemHostname() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let hostname = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return hostname.isEmpty ? nil : hostname
    }
}
