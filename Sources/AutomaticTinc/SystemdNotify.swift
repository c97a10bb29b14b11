#if canImport(Glibc)
import Glibc
#endif
import TincBase

/// sd_notify(3) without libsystemd: one datagram to the unix socket named by $NOTIFY_SOCKET.
/// A name starting with '@' is in the abstract namespace, where the '@' stands for a NUL byte.
public enum SystemdNotify {
    /// Sends `state` (such as "READY=1") when $NOTIFY_SOCKET is set. Returns false when it is not
    /// set or sending failed; a failure is logged.
    @discardableResult
    public static func send(_ state: String, socketPath: String? = environmentSocket()) -> Bool {
        guard let socketPath, !socketPath.isEmpty else { return false }

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") {
            path[0] = 0
        }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else {
            Log.error("Could not notify systemd: NOTIFY_SOCKET \(socketPath) is longer than \(capacity - 1) bytes")
            return false
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
        }
        // An abstract name is exactly its bytes; a path name also counts its terminating NUL.
        let pathLength = path.first == 0 ? path.count : path.count + 1
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + pathLength)

        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            Log.error("Could not notify systemd: socket: \(String(cString: strerror(errno)))")
            return false
        }
        defer { close(fd) }

        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                sendto(fd, message, message.count, Int32(MSG_NOSIGNAL), socketAddress, length)
            }
        }
        guard sent == message.count else {
            Log.error("Could not notify systemd at \(socketPath): \(String(cString: strerror(errno)))")
            return false
        }
        Log.debug(.status, .info, "Sent \(state) to systemd")
        return true
    }

    public static func environmentSocket() -> String? {
        getenv("NOTIFY_SOCKET").map { String(cString: $0) }
    }
}
