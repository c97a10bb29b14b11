#if canImport(Glibc)
@preconcurrency import Glibc
#endif
@preconcurrency import CShim
import TincBase
import TincConfig
import TincCrypto

/// The command line of tincd 1.0.36, parsed with getopt_long(3) as upstream does.
public struct TincdArguments {
    public var configDirectory: String?
    public var netname: String?
    public var detach = true
    public var debugLevel = 0
    public var killSignal: Int32?
    public var generateKeyBits: Int?
    public var logFile: String??      // .some(nil): --logfile without a name
    public var pidFile: String?
    public var options: [String] = []
    public var showHelp = false
    public var showVersion = false

    public init() {}

    /// Parses `arguments` (argv without the program name). Errors are messages for stderr.
    public static func parse(_ arguments: [String]) -> Result<TincdArguments, ArgumentError> {
        var result = TincdArguments()
        let argv = (["tincd"] + arguments).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var pointers: [UnsafeMutablePointer<CChar>?] = argv + [nil]

        let longNames: [String] = ["config", "kill", "net", "help", "version", "no-detach", "generate-keys", "debug",
                                   "logfile", "pidfile", "option", "mlock", "chroot", "user"]
        let names: [UnsafePointer<CChar>] = longNames.map { UnsafePointer(strdup($0)!) }
        defer { names.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
        let required: Int32 = 1, optional: Int32 = 2, none: Int32 = 0
        var longOptions: [option] = [
            option(name: names[0], has_arg: required, flag: nil, val: Int32(UInt8(ascii: "c"))),
            option(name: names[1], has_arg: optional, flag: nil, val: Int32(UInt8(ascii: "k"))),
            option(name: names[2], has_arg: required, flag: nil, val: Int32(UInt8(ascii: "n"))),
            option(name: names[3], has_arg: none, flag: nil, val: 1),
            option(name: names[4], has_arg: none, flag: nil, val: 2),
            option(name: names[5], has_arg: none, flag: nil, val: Int32(UInt8(ascii: "D"))),
            option(name: names[6], has_arg: optional, flag: nil, val: Int32(UInt8(ascii: "K"))),
            option(name: names[7], has_arg: optional, flag: nil, val: Int32(UInt8(ascii: "d"))),
            option(name: names[8], has_arg: optional, flag: nil, val: 4),
            option(name: names[9], has_arg: required, flag: nil, val: 5),
            option(name: names[10], has_arg: required, flag: nil, val: Int32(UInt8(ascii: "o"))),
            option(name: names[11], has_arg: none, flag: nil, val: Int32(UInt8(ascii: "L"))),
            option(name: names[12], has_arg: none, flag: nil, val: Int32(UInt8(ascii: "R"))),
            option(name: names[13], has_arg: required, flag: nil, val: Int32(UInt8(ascii: "U"))),
            option(name: nil, has_arg: 0, flag: nil, val: 0),
        ]
        // optind = 0 makes glibc's getopt forget the state of an earlier parse.
        optind = 0
        opterr = 1
        let argc = Int32(argv.count)

        /// tincd lets optional arguments follow as a separate word when it does not start with '-'.
        func optionalArgument() -> String? {
            if let optarg { return String(cString: optarg) }
            if optind < argc, let next = pointers[Int(optind)], next.pointee != CChar(UInt8(ascii: "-")) {
                optind += 1
                return String(cString: next)
            }
            return nil
        }

        while true {
            var index: Int32 = 0
            let code = getopt_long(argc, &pointers, "c:DLd::k::n:o:K::RU:", &longOptions, &index)
            if code == -1 { break }
            switch code {
            case Int32(UInt8(ascii: "c")):
                if result.configDirectory != nil { return .failure(.init("Only one configuration directory can be given.")) }
                result.configDirectory = String(cString: optarg)
            case Int32(UInt8(ascii: "D")):
                result.detach = false
            case Int32(UInt8(ascii: "d")):
                if let value = optionalArgument() { result.debugLevel = Int(atoi(value)) } else { result.debugLevel += 1 }
            case Int32(UInt8(ascii: "k")):
                guard let value = optionalArgument() else { result.killSignal = SIGTERM; break }
                guard let signal = signalNumber(value) else {
                    return .failure(.init("Invalid argument `\(value)'; SIGNAL must be a number or one of HUP, TERM, KILL, USR1, USR2, WINCH, INT or ALRM."))
                }
                result.killSignal = signal
            case Int32(UInt8(ascii: "n")):
                if result.netname != nil { return .failure(.init("Only one netname can be given.")) }
                let value = String(cString: optarg)
                if value != "." { result.netname = value }
            case Int32(UInt8(ascii: "o")):
                result.options.append(String(cString: optarg))
            case Int32(UInt8(ascii: "K")):
                if let value = optionalArgument() {
                    let bits = Int(atoi(value))
                    if bits < 512 {
                        return .failure(.init("Invalid argument `\(value)'; BITS must be a number equal to or greater than 512."))
                    }
                    result.generateKeyBits = bits & ~7
                } else {
                    result.generateKeyBits = 2048
                }
            case Int32(UInt8(ascii: "L")), Int32(UInt8(ascii: "R")), Int32(UInt8(ascii: "U")):
                // NOTE: --mlock, --chroot and --user are accepted for compatibility but not implemented.
                return .failure(.init("Option -\(Character(UnicodeScalar(UInt8(code)))) is not supported by this tincd."))
            case 1:
                result.showHelp = true
            case 2:
                result.showVersion = true
            case 4:
                if let value = optionalArgument() {
                    if case .some(.some) = result.logFile { return .failure(.init("Only one logfile can be given.")) }
                    result.logFile = .some(value)
                } else {
                    result.logFile = .some(nil)
                }
            case 5:
                if result.pidFile != nil { return .failure(.init("Only one pidfile can be given.")) }
                result.pidFile = String(cString: optarg)
            default:
                return .failure(.init(nil))
            }
        }
        if optind < argc {
            return .failure(.init("Unrecognized argument `\(String(cString: pointers[Int(optind)]!))'."))
        }
        return .success(result)
    }

    static func signalNumber(_ name: String) -> Int32? {
        switch name.uppercased() {
        case "HUP": return SIGHUP
        case "TERM": return SIGTERM
        case "KILL": return SIGKILL
        case "USR1": return SIGUSR1
        case "USR2": return SIGUSR2
        case "WINCH": return SIGWINCH
        case "INT": return SIGINT
        case "ALRM": return SIGALRM
        case "ABRT": return SIGABRT
        default:
            let number = atoi(name)
            return number == 0 ? nil : number
        }
    }

    /// "tinc" or "tinc.NETNAME": the syslog ident and the stem of the default pid and log files.
    public var identName: String { netname.map { "tinc.\($0)" } ?? "tinc" }
    public var resolvedPidFile: String { pidFile ?? "/run/\(identName).pid" }
    public var resolvedLogFile: String { (logFile ?? nil) ?? "/var/log/\(identName).log" }
}

public struct ArgumentError: Error {
    /// The message for stderr; nil when getopt already printed one.
    public let message: String?
    init(_ message: String?) { self.message = message }
}

public enum Tincd {
    public static let version = "1.0.36"

    public static let usage = """
        Usage: tincd [option]...

          -c, --config=DIR               Read configuration options from DIR.
          -D, --no-detach                Don't fork and detach.
          -d, --debug[=LEVEL]            Increase debug level or set it to LEVEL.
          -k, --kill[=SIGNAL]            Attempt to kill a running tincd and exit.
          -n, --net=NETNAME              Connect to net NETNAME.
          -K, --generate-keys[=BITS]     Generate public/private RSA keypair.
              --logfile[=FILENAME]       Write log entries to a logfile.
              --pidfile=FILENAME         Write PID to FILENAME.
          -o, --option=[HOST.]KEY=VALUE  Set global/host configuration value.
              --help                     Display this help and exit.
              --version                  Output version information and exit.

        This is a Swift implementation of tincd \(version); it speaks the tinc 1.0 protocol.

        """

    /// Runs tincd with `arguments` (without the program name) and returns the exit status.
    public static func main(_ arguments: [String]) -> Int32 {
        // Block the signals the event loop reads through signalfd before any thread exists, so
        // every thread inherits the mask and none of them takes the default action instead.
        let handled = [SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGALRM, SIGUSR1, SIGUSR2]
        _ = handled.withUnsafeBufferPointer { cshim_block_signals($0.baseAddress, Int32($0.count)) }

        let parsed: TincdArguments
        switch TincdArguments.parse(arguments) {
        case .success(let value): parsed = value
        case .failure(let error):
            if let message = error.message { printError(message) }
            printError("Try `tincd --help' for more information.")
            return 1
        }
        if parsed.showVersion {
            print("tinc version \(version) (Swift implementation)")
            print("This is free software: see the project's README for its license.")
            return 0
        }
        if parsed.showHelp {
            print(usage, terminator: "")
            return 0
        }

        let directory = ConfigDirectory.resolve(configDir: parsed.configDirectory, netname: parsed.netname)
        if let signal = parsed.killSignal {
            return PIDFile.kill(path: parsed.resolvedPidFile, signal: signal, netname: parsed.netname) ? 0 : 1
        }

        var options: [(host: String?, entry: ConfigEntry)] = []
        for (index, text) in parsed.options.enumerated() {
            do {
                options.append(try ConfigParser.parseOption(text, index: index + 1))
            } catch {
                printError("\(error)")
                return 1
            }
        }

        Log.level = parsed.debugLevel
        if case .some(.some) = parsed.logFile {
            Log.open(.file(path: parsed.resolvedLogFile))
        } else if parsed.logFile != nil {
            Log.open(.file(path: parsed.resolvedLogFile))
        } else {
            Log.open(.stderr)
        }

        if let bits = parsed.generateKeyBits {
            Crypto.initialize()
            return KeyGenerator.generate(bits: bits, directory: directory, options: options) ? 0 : 1
        }

        var daemonOptions = DaemonOptions(configDirectory: directory, netname: parsed.netname)
        daemonOptions.commandLineOptions = options
        let daemon: Daemon
        do {
            daemon = try Daemon(options: daemonOptions)
        } catch {
            Log.error("\(error)")
            return 1
        }

        if !PIDFile.claim(path: parsed.resolvedPidFile, netname: parsed.netname) {
            return 1
        }
        if parsed.detach {
            if daemon_detach() != 0 {
                printError("Couldn't detach from terminal: \(String(cString: strerror(errno)))")
                return 1
            }
            _ = PIDFile.write(path: parsed.resolvedPidFile)
            if parsed.logFile == nil { Log.open(.syslog(ident: parsed.identName)) }
        }
        Log.notice("tincd \(version) starting, debug level \(parsed.debugLevel)")

        let status: Int32
        do {
            status = try daemon.run()
        } catch {
            Log.error("\(error)")
            PIDFile.remove(path: parsed.resolvedPidFile)
            return 1
        }
        PIDFile.remove(path: parsed.resolvedPidFile)
        return status
    }

    private static func daemon_detach() -> Int32 {
        daemon(0, 0)
    }
}

func printError(_ message: String) {
    var text = message
    text.append("\n")
    fputs(text, stderr)
}

/// The pid file that `-k` reads (tinc's pidfile.c: the pid followed by a newline).
enum PIDFile {
    static func read(path: String) -> pid_t? {
        guard let text = readTextFile(path) else { return nil }
        let value = atoi(text)
        return value > 0 ? value : nil
    }

    /// Writes our pid unless another running tincd owns the file.
    static func claim(path: String, netname: String?) -> Bool {
        if let pid = read(path: path), pid != getpid(), Glibc.kill(pid, 0) == 0 || errno == EPERM {
            let which = netname.map { " for net `\($0)'" } ?? ""
            printError("A tincd is already running\(which) with pid \(pid).")
            return false
        }
        return write(path: path)
    }

    static func write(path: String) -> Bool {
        let text = "\(getpid())\n"
        if !writeFileAtomically(path: path, contents: Array(text.utf8), mode: 0o644) {
            printError("Could not write pid file \(path): \(String(cString: strerror(errno)))")
            return false
        }
        return true
    }

    static func remove(path: String) {
        if read(path: path) == getpid() { unlink(path) }
    }

    static func kill(path: String, signal: Int32, netname: String?) -> Bool {
        let which = netname.map { " for net `\($0)'" } ?? ""
        guard let pid = read(path: path) else {
            printError("No other tincd is running\(which).")
            return false
        }
        if Glibc.kill(pid, signal) != 0 && errno == ESRCH {
            printError("The tincd\(which) is no longer running. Removing stale lock file.")
            unlink(path)
        }
        return true
    }
}

/// Writes a file through a temporary file and rename(2), so readers never see half of it.
func writeFileAtomically(path: String, contents: [UInt8], mode: mode_t) -> Bool {
    let temporary = path + ".tmp.\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    if fd < 0 { return false }
    var written = 0
    while written < contents.count {
        let count = contents.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, contents.count - written) }
        if count < 0 {
            if errno == EINTR { continue }
            let saved = errno
            close(fd)
            unlink(temporary)
            errno = saved
            return false
        }
        written += count
    }
    fchmod(fd, mode)
    if fsync(fd) != 0 || close(fd) != 0 {
        let saved = errno
        unlink(temporary)
        errno = saved
        return false
    }
    if rename(temporary, path) != 0 {
        let saved = errno
        unlink(temporary)
        errno = saved
        return false
    }
    return true
}
