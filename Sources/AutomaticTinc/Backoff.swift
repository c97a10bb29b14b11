#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Retry delays that double from 1 s up to 30 s: 1, 2, 4, 8, 16, 30, 30, ...
public struct Backoff: Sendable, Equatable {
    public static let first: Duration = .seconds(1)
    public static let maximum: Duration = .seconds(30)

    private var upcoming = Backoff.first

    public init() {}

    /// Returns the delay before the next retry and doubles the one after it.
    public mutating func nextDelay() -> Duration {
        let delay = upcoming
        upcoming = min(upcoming * 2, Backoff.maximum)
        return delay
    }

    public mutating func reset() {
        upcoming = Backoff.first
    }
}

/// A flag that one thread sets to stop another, and a sleep that ends early when it is set.
public final class StopFlag: Sendable {
    private let stopped = Atomic<Bool>(false)

    public init() {}

    public var isStopped: Bool { stopped.load(ordering: .acquiring) }

    public func stop() {
        stopped.store(true, ordering: .releasing)
    }

    /// Sleeps for `duration` in steps of 100 ms. Returns false when the flag was set before or
    /// during the sleep.
    @discardableResult
    public func sleep(_ duration: Duration) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + duration
        while !isStopped {
            let left = clock.now.duration(to: deadline)
            if left <= .zero { return true }
            let step = min(left, .milliseconds(100))
            let (seconds, attoseconds) = step.components
            var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            var remaining = timespec()
            while nanosleep(&request, &remaining) != 0 && errno == EINTR {
                request = remaining
            }
        }
        return false
    }
}
