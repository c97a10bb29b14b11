#if canImport(Glibc)
import Glibc
#endif

/// An error from a system call, carrying errno and the call's name.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32

    public init(_ call: String, errno: Int32 = Glibc.errno) {
        self.call = call
        self.errno = errno
    }

    public var description: String {
        "\(call) failed: \(String(cString: strerror(errno)))"
    }

    /// True for EAGAIN/EWOULDBLOCK: the call would have blocked on a non-blocking descriptor.
    public var wouldBlock: Bool { errno == EAGAIN || errno == EWOULDBLOCK }
}

/// Runs a system call that returns -1 on failure, retrying on EINTR.
@inline(__always)
public func retryingInterrupts<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(call, errno: code)
    }
}

/// Sets O_NONBLOCK and FD_CLOEXEC on a descriptor.
public func makeNonBlocking(_ fd: Int32) throws(SystemError) {
    let flags = fcntl(fd, F_GETFL)
    if flags < 0 { throw SystemError("fcntl(F_GETFL)") }
    if fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 { throw SystemError("fcntl(F_SETFL)") }
    if fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 { throw SystemError("fcntl(F_SETFD)") }
}

/// Seconds on the monotonic clock, for timers and timeouts that must not jump with the wall clock.
@inline(__always)
public func monotonicNow() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1_000_000_000
}
