#if canImport(Glibc)
import Glibc
#endif
import CShim

/// Readiness reported for a registered descriptor.
public struct IOEvents: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = IOEvents(rawValue: CSHIM_EPOLLIN)
    public static let writable = IOEvents(rawValue: CSHIM_EPOLLOUT)
    public static let error = IOEvents(rawValue: CSHIM_EPOLLERR)
    public static let hangup = IOEvents(rawValue: CSHIM_EPOLLHUP)
}

/// A handle to a scheduled timer; cancel it with `EventLoop.cancel(_:)`.
public struct TimerID: Hashable, Sendable {
    fileprivate let value: UInt64
}

/// A single-threaded event loop over epoll(7), with timers and signals (signalfd).
///
/// The thread that calls `run()` owns every registration, timer and handler: none of the methods
/// may be called from another thread, except `wakeUp()`. Each registration carries a generation so
/// that an event still queued for a descriptor that was closed and reused is ignored.
public final class EventLoop {
    public typealias IOHandler = (IOEvents) -> Void

    private struct Registration {
        var generation: UInt32
        var interest: IOEvents
        var handler: IOHandler
    }

    private struct Timer {
        var deadline: Double
        var id: UInt64
        var handler: () -> Void
    }

    private let epollFD: Int32
    private let wakeFD: Int32
    private var signalFD: Int32 = -1
    private var registrations: [Int32: Registration] = [:]
    private var nextGeneration: UInt32 = 1
    private var timers: [Timer] = []          // a binary min-heap on (deadline, id)
    private var cancelledTimers: Set<UInt64> = []
    private var nextTimerID: UInt64 = 1
    private var signalHandlers: [Int32: () -> Void] = [:]
    private var running = false
    /// Runs on the loop thread after `wakeUp()` was called from any thread, for example to take
    /// work that another thread queued.
    public var wakeHandler: (() -> Void)?
    private var events: UnsafeMutablePointer<epoll_event>
    private let maxEvents = 64

    public init() throws(SystemError) {
        epollFD = cshim_epoll_create()
        if epollFD < 0 { throw SystemError("epoll_create1") }
        wakeFD = cshim_eventfd_create()
        if wakeFD < 0 { throw SystemError("eventfd") }
        events = .allocate(capacity: maxEvents)
        try register(wakeFD, for: .readable) { [unowned self, wakeFD] _ in
            _ = cshim_eventfd_drain(wakeFD)
            self.wakeHandler?()
        }
    }

    deinit {
        events.deallocate()
        close(epollFD)
        close(wakeFD)
        if signalFD >= 0 { close(signalFD) }
    }

    // MARK: Descriptors

    /// Starts watching `fd`. The handler runs on the loop thread each time `fd` is ready.
    public func register(_ fd: Int32, for interest: IOEvents, handler: @escaping IOHandler) throws(SystemError) {
        let generation = nextGeneration
        nextGeneration &+= 1
        registrations[fd] = Registration(generation: generation, interest: interest, handler: handler)
        if cshim_epoll_ctl(epollFD, CSHIM_EPOLL_CTL_ADD, fd, interest.rawValue, Self.token(fd, generation)) < 0 {
            registrations[fd] = nil
            throw SystemError("epoll_ctl(ADD)")
        }
    }

    /// Changes what `fd` is watched for; does nothing if the interest is unchanged.
    public func modify(_ fd: Int32, interest: IOEvents) {
        guard var registration = registrations[fd], registration.interest != interest else { return }
        registration.interest = interest
        registrations[fd] = registration
        _ = cshim_epoll_ctl(epollFD, CSHIM_EPOLL_CTL_MOD, fd, interest.rawValue,
                            Self.token(fd, registration.generation))
    }

    /// Stops watching `fd`. Call it before closing the descriptor.
    public func unregister(_ fd: Int32) {
        guard registrations.removeValue(forKey: fd) != nil else { return }
        _ = cshim_epoll_ctl(epollFD, CSHIM_EPOLL_CTL_DEL, fd, 0, 0)
    }

    private static func token(_ fd: Int32, _ generation: UInt32) -> UInt64 {
        UInt64(UInt32(bitPattern: fd)) | (UInt64(generation) << 32)
    }

    // MARK: Timers

    /// Runs `handler` once, `seconds` from now on the monotonic clock.
    @discardableResult
    public func schedule(after seconds: Double, _ handler: @escaping () -> Void) -> TimerID {
        let id = nextTimerID
        nextTimerID += 1
        pushTimer(Timer(deadline: monotonicNow() + max(0, seconds), id: id, handler: handler))
        return TimerID(value: id)
    }

    public func cancel(_ timer: TimerID) {
        cancelledTimers.insert(timer.value)
    }

    // MARK: Signals

    /// Routes `signal` to `handler` on the loop thread. The signal is blocked for normal delivery.
    public func onSignal(_ signal: Int32, handler: @escaping () -> Void) throws(SystemError) {
        signalHandlers[signal] = handler
        if signalFD >= 0 {
            unregister(signalFD)
            close(signalFD)
        }
        let numbers = Array(signalHandlers.keys)
        signalFD = numbers.withUnsafeBufferPointer { cshim_signalfd_create($0.baseAddress, Int32($0.count)) }
        if signalFD < 0 { throw SystemError("signalfd") }
        let fd = signalFD
        try register(fd, for: .readable) { [unowned self] _ in
            while true {
                let number = cshim_signalfd_read(fd)
                if number <= 0 { break }
                self.signalHandlers[Int32(number)]?()
            }
        }
    }

    // MARK: Running

    /// Wakes a blocked `run()` from any thread.
    public func wakeUp() {
        _ = cshim_eventfd_signal(wakeFD)
    }

    /// Makes `run()` return after the current iteration.
    public func stop() {
        running = false
    }

    /// Dispatches events and timers until `stop()` is called.
    public func run() throws(SystemError) {
        running = true
        while running {
            try runOnce(maxWait: nil)
        }
    }

    /// Waits for at most `maxWait` seconds (or until the next timer) and dispatches what is ready.
    public func runOnce(maxWait: Double?) throws(SystemError) {
        var timeout = nextTimerTimeout()
        if let maxWait {
            let cap = Int32(max(0, maxWait * 1000).rounded(.up))
            timeout = timeout < 0 ? cap : min(timeout, cap)
        }
        let count = cshim_epoll_wait(epollFD, events, Int32(maxEvents), timeout)
        if count < 0 {
            if errno == EINTR { return }
            throw SystemError("epoll_wait")
        }
        for index in 0..<Int(count) {
            let event = events[index]
            let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: event.data.u64))
            let generation = UInt32(truncatingIfNeeded: event.data.u64 >> 32)
            // A handler earlier in this batch may have closed or replaced the descriptor.
            guard let registration = registrations[fd], registration.generation == generation else { continue }
            registration.handler(IOEvents(rawValue: event.events))
        }
        runDueTimers()
    }

    /// Milliseconds until the earliest live timer, or -1 to wait forever.
    private func nextTimerTimeout() -> Int32 {
        while let first = timers.first, cancelledTimers.contains(first.id) {
            cancelledTimers.remove(first.id)
            _ = popTimer()
        }
        guard let first = timers.first else { return -1 }
        let milliseconds = (first.deadline - monotonicNow()) * 1000
        if milliseconds <= 0 { return 0 }
        return Int32(min(milliseconds.rounded(.up), Double(Int32.max)))
    }

    private func runDueTimers() {
        let now = monotonicNow()
        while let first = timers.first, first.deadline <= now {
            let timer = popTimer()
            if cancelledTimers.remove(timer.id) != nil { continue }
            timer.handler()
        }
    }

    // MARK: Timer heap

    private static func earlier(_ a: Timer, _ b: Timer) -> Bool {
        a.deadline < b.deadline || (a.deadline == b.deadline && a.id < b.id)
    }

    private func pushTimer(_ timer: Timer) {
        timers.append(timer)
        var child = timers.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if !Self.earlier(timers[child], timers[parent]) { break }
            timers.swapAt(child, parent)
            child = parent
        }
    }

    private func popTimer() -> Timer {
        let top = timers[0]
        let last = timers.removeLast()
        if !timers.isEmpty {
            timers[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < timers.count && Self.earlier(timers[left], timers[smallest]) { smallest = left }
                if right < timers.count && Self.earlier(timers[right], timers[smallest]) { smallest = right }
                if smallest == parent { break }
                timers.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
