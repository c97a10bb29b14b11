#if canImport(Glibc)
import Glibc
#endif

/// Debug levels as `tincd -d` counts them (tinc 1.0.36 logger.h).
public enum DebugLevel: Int, Comparable, Sendable {
    case nothing = 0
    case connections = 1
    case status = 2
    case `protocol` = 3
    case meta = 4
    case traffic = 5
    case packet = 6
    case scaryThings = 10

    public static func < (lhs: DebugLevel, rhs: DebugLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Syslog priorities, with the values of <syslog.h>.
public enum LogPriority: Int32, Sendable {
    case emergency = 0, alert, critical, error, warning, notice, info, debug
}

/// Where log lines go: stderr with `-D`, syslog when daemonized, or a file with `--logfile`.
public enum LogDestination: Sendable {
    case null
    case stderr
    case syslog(ident: String)
    case file(path: String)
}

/// The process-wide logger. Only the control-plane thread writes its settings; lines may be
/// written from any thread because each one is a single write(2) or syslog(3) call.
public enum Log {
    nonisolated(unsafe) public static var level: Int = 0
    nonisolated(unsafe) private static var destination: LogDestination = .stderr
    nonisolated(unsafe) private static var fileDescriptor: Int32 = -1
    nonisolated(unsafe) private static var syslogIdent: UnsafeMutablePointer<CChar>?

    /// Opens the destination. A file that cannot be opened falls back to stderr with a message.
    public static func open(_ to: LogDestination) {
        close()
        destination = to
        switch to {
        case .null, .stderr:
            break
        case .syslog(let ident):
            syslogIdent = strdup(ident)
            openlog(syslogIdent, LOG_CONS | LOG_PID, LOG_DAEMON)
        case .file(let path):
            fileDescriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            if fileDescriptor < 0 {
                let reason = String(cString: strerror(errno))
                destination = .stderr
                error("Could not open log file \(path): \(reason)")
            }
        }
    }

    /// Reopens a log file after it was rotated (on SIGHUP, as tincd does).
    public static func reopen() {
        if case .file = destination { open(destination) }
    }

    public static func close() {
        if fileDescriptor >= 0 { Glibc.close(fileDescriptor); fileDescriptor = -1 }
        if case .syslog = destination { closelog(); free(syslogIdent); syslogIdent = nil }
    }

    /// True when lines at `debugLevel` are logged; guard expensive messages with it.
    @inline(__always)
    public static func enabled(_ debugLevel: DebugLevel) -> Bool { level >= debugLevel.rawValue }

    public static func write(_ priority: LogPriority, _ message: String) {
        switch destination {
        case .null:
            return
        case .stderr:
            writeLine(2, message)
        case .file:
            writeLine(fileDescriptor, "\(timestamp()) tinc: \(message)")
        case .syslog:
            message.withCString { text in
                withVaList([text]) { vsyslog(priority.rawValue, "%s", $0) }
            }
        }
    }

    public static func error(_ message: String) { write(.error, message) }
    public static func warning(_ message: String) { write(.warning, message) }
    public static func notice(_ message: String) { write(.notice, message) }
    public static func info(_ message: String) { write(.info, message) }

    /// Logs `message()` only when the debug level is at least `debugLevel`.
    @inline(__always)
    public static func debug(_ debugLevel: DebugLevel, _ priority: LogPriority = .debug,
                             _ message: @autoclosure () -> String) {
        if level >= debugLevel.rawValue { write(priority, message()) }
    }

    private static func writeLine(_ fd: Int32, _ line: String) {
        var text = line
        text.append("\n")
        text.withCString { pointer in
            _ = Glibc.write(fd, pointer, strlen(pointer))
        }
    }

    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S", &parts)
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
