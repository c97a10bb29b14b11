#if canImport(Glibc)
import Glibc
#endif
import TincBase

/// The signals tincd handles, blocked in every thread from the start, and how the startup steps
/// notice a request to terminate before the daemon reads them.
enum StartupSignals {
    static let handled = [SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGALRM, SIGUSR1, SIGUSR2]
    /// The signals that end automatic-tinc, with the names tincd logs for them.
    static let terminating: [Int32: String] = [SIGTERM: "TERM", SIGINT: "INT", SIGQUIT: "QUIT"]

    static func block() {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits `duration` for a handled signal. Throws `Terminated` for TERM, INT or QUIT; other
    /// signals are consumed and ignored, because nothing that handles them runs yet.
    static func wait(_ duration: Duration) throws(Runner.Terminated) {
        let clock = ContinuousClock()
        let deadline = clock.now + duration
        var set = signalSet()
        while true {
            let left = clock.now.duration(to: deadline)
            if left <= .zero { return }
            let (seconds, attoseconds) = left.components
            var timeout = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            let number = sigtimedwait(&set, nil, &timeout)
            if number > 0, let name = terminating[number] {
                Log.notice("Got \(name) signal")
                throw Runner.Terminated()
            }
            if number < 0 && errno == EAGAIN { return }
        }
    }

    /// Throws `Terminated` when TERM, INT or QUIT is pending, without waiting.
    static func checkTermination() throws(Runner.Terminated) {
        var set = signalSet()
        var zero = timespec(tv_sec: 0, tv_nsec: 0)
        while true {
            let number = sigtimedwait(&set, nil, &zero)
            if number > 0, let name = terminating[number] {
                Log.notice("Got \(name) signal")
                throw Runner.Terminated()
            }
            if number < 0 { return }
        }
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for number in handled {
            sigaddset(&set, number)
        }
        return set
    }
}
