import Etcd
import TincBase

/// The command line of automatic-tinc: a subcommand, options given as flags or as environment
/// variables (a flag wins over its variable), and the defaults of the original container image.
public struct AutomaticTincOptions: Sendable, Equatable {
    public enum Command: Sendable, Equatable {
        /// Join the network and run the daemon (the default).
        case run
        /// Print every node of the network.
        case list
        /// Delete the address, config and liveness keys of one node.
        case forget(String)
    }

    public var command: Command = .run
    public var network = "automatic-tinc"
    public var subnet = IPv4Network(address: IPv4Address(172, 16, 0, 0), prefixLength: 13)
    public var etcdEndpoints = ["http://127.0.0.1:4001"]
    public var etcdAPI = EtcdAPIChoice.auto
    public var etcdCAFile: String?
    public var etcdCertFile: String?
    public var etcdKeyFile: String?
    public var etcdUsername: String?
    public var etcdPassword: String?
    /// nil: derived from the host name by `DefaultNodeName`.
    public var nodeName: String?
    /// nil: the source address of the default route, found by `PublicAddress`.
    public var publicAddress: String?
    public var configRoot = "/etc/tinc"
    public var port = 655
    public var keyBits = 4096
    /// The number of peers this node makes outgoing meta connections to (`ConnectTo`).
    public var connectTo = 3
    public var interface = "tun0"
    /// tincd's `-d` level.
    public var debugLevel = 0
    public var showHelp = false
    public var showVersion = false

    public init() {}

    /// CONFIG_ROOT/NETWORK, the tinc configuration directory that automatic-tinc owns.
    public var configDirectory: String { configRoot + "/" + network }
}

/// An invalid command line or environment variable. The message names the option and the value.
public struct OptionError: Error, Equatable, CustomStringConvertible {
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension AutomaticTincOptions {
    /// One option with a value: its long flag and the environment variable that sets it too.
    struct ValueOption: Sendable {
        let flag: String
        let variable: String
        /// Sets the option from a value; the third argument names where the value came from
        /// ("--port" or "TINC_PORT") for the error message.
        let apply: @Sendable (inout AutomaticTincOptions, String, String) throws(OptionError) -> Void
    }

    static let valueOptions: [ValueOption] = [
        ValueOption(flag: "network", variable: "TINC_NETWORK_NAME") { options, value, source throws(OptionError) in
            options.network = try parseNetworkName(value, option: source)
        },
        ValueOption(flag: "subnet", variable: "TINC_NETWORK_SUBNET") { options, value, source throws(OptionError) in
            options.subnet = try parseVPNSubnet(value, option: source)
        },
        ValueOption(flag: "etcd", variable: "ETCD_ENDPOINTS") { options, value, source throws(OptionError) in
            options.etcdEndpoints = try parseEndpoints(value, option: source)
        },
        ValueOption(flag: "etcd-api", variable: "ETCD_API") { options, value, source throws(OptionError) in
            guard let setting = EtcdAPIChoice(rawValue: value) else {
                throw OptionError("Invalid value for \(source): \"\(value)\"; expected auto, v2 or v3")
            }
            options.etcdAPI = setting
        },
        ValueOption(flag: "etcd-ca", variable: "ETCD_CA_FILE") { options, value, source throws(OptionError) in
            options.etcdCAFile = try parsePath(value, option: source)
        },
        ValueOption(flag: "etcd-cert", variable: "ETCD_CERT_FILE") { options, value, source throws(OptionError) in
            options.etcdCertFile = try parsePath(value, option: source)
        },
        ValueOption(flag: "etcd-key", variable: "ETCD_KEY_FILE") { options, value, source throws(OptionError) in
            options.etcdKeyFile = try parsePath(value, option: source)
        },
        ValueOption(flag: "etcd-user", variable: "ETCD_USERNAME") { options, value, source throws(OptionError) in
            options.etcdUsername = value
        },
        ValueOption(flag: "etcd-password", variable: "ETCD_PASSWORD") { options, value, source throws(OptionError) in
            options.etcdPassword = value
        },
        ValueOption(flag: "name", variable: "TINC_NODE_NAME") { options, value, source throws(OptionError) in
            guard NodeName.isValid(value) else {
                throw OptionError("Invalid value for \(source): \"\(value)\"; a node name contains only ASCII letters, digits and '_'")
            }
            options.nodeName = value
        },
        ValueOption(flag: "public-address", variable: "TINC_PUBLIC_ADDRESS") { options, value, source throws(OptionError) in
            options.publicAddress = try parsePublicAddress(value, option: source)
        },
        ValueOption(flag: "config-root", variable: "TINC_CONFIG_ROOT") { options, value, source throws(OptionError) in
            options.configRoot = try parsePath(value, option: source)
        },
        ValueOption(flag: "port", variable: "TINC_PORT") { options, value, source throws(OptionError) in
            options.port = try parseInteger(value, option: source, range: 1...65535, unit: "a TCP and UDP port")
        },
        ValueOption(flag: "key-bits", variable: "TINC_KEY_BITS") { options, value, source throws(OptionError) in
            options.keyBits = try parseInteger(value, option: source, range: 1024...16384, unit: "an RSA key size in bits")
        },
        ValueOption(flag: "connect-to", variable: "TINC_CONNECT_TO") { options, value, source throws(OptionError) in
            options.connectTo = try parseInteger(value, option: source, range: 1...64, unit: "a number of peers")
        },
        ValueOption(flag: "interface", variable: "TINC_INTERFACE") { options, value, source throws(OptionError) in
            options.interface = try parseInterfaceName(value, option: source)
        },
    ]

    /// Parses `arguments` (argv without the program name) over `environment`. Every option is
    /// first set from its environment variable, then from its flag, so a flag wins. An empty
    /// environment variable counts as unset, as `docker run -e VAR=` leaves it.
    public static func parse(arguments: [String], environment: [String: String]) throws(OptionError) -> AutomaticTincOptions {
        var options = AutomaticTincOptions()
        for option in valueOptions {
            if let value = environment[option.variable], !value.isEmpty {
                try option.apply(&options, value, option.variable)
            }
        }

        var words: [String] = []
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1

            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                words.append(argument)
                continue
            }
            if argument == "--" {
                optionsEnded = true
                continue
            }

            // -d, -dLEVEL, -d LEVEL, --debug, --debug=LEVEL, as tincd reads its debug level.
            if argument.hasPrefix("-d") || argument == "--debug"
                || argument.hasPrefix("--debug=") {
                var level: String?
                if argument.hasPrefix("--debug=") {
                    level = String(argument.dropFirst("--debug=".count))
                } else if argument.hasPrefix("-d") && argument.count > 2 {
                    level = String(argument.dropFirst(2))
                } else if index < arguments.count, !arguments[index].isEmpty, arguments[index].allSatisfy(\.isASCIIDigit) {
                    level = arguments[index]
                    index += 1
                }
                if let level {
                    options.debugLevel = try parseInteger(level, option: "--debug", range: 0...10, unit: "a debug level")
                } else {
                    options.debugLevel += 1
                }
                continue
            }
            if argument == "--help" || argument == "-h" {
                options.showHelp = true
                continue
            }
            if argument == "--version" {
                options.showVersion = true
                continue
            }

            guard argument.hasPrefix("--") else {
                throw OptionError("Unknown option \(argument); see automatic-tinc --help")
            }
            var flag = String(argument.dropFirst(2))
            var value: String?
            if let equals = flag.firstIndex(of: "=") {
                value = String(flag[flag.index(after: equals)...])
                flag = String(flag[..<equals])
            }
            guard let option = valueOptions.first(where: { $0.flag == flag }) else {
                throw OptionError("Unknown option --\(flag); see automatic-tinc --help")
            }
            if value == nil {
                guard index < arguments.count else {
                    throw OptionError("Missing value for --\(flag)")
                }
                value = arguments[index]
                index += 1
            }
            try option.apply(&options, value ?? "", "--" + flag)
        }

        options.command = try parseCommand(words)
        try checkCombination(options)
        return options
    }

    static func parseCommand(_ words: [String]) throws(OptionError) -> Command {
        guard let first = words.first else { return .run }
        switch first {
        case "run" where words.count == 1:
            return .run
        case "list" where words.count == 1:
            return .list
        case "forget":
            guard words.count == 2, !words[1].isEmpty else {
                throw OptionError("forget takes exactly one node name: automatic-tinc forget NAME")
            }
            return .forget(words[1])
        case "run", "list":
            throw OptionError("Unexpected argument \"\(words[1])\" after \(first)")
        default:
            throw OptionError("Unknown command \"\(first)\"; expected run, list or forget NAME")
        }
    }

    /// Checks options that are valid alone but not together.
    static func checkCombination(_ options: AutomaticTincOptions) throws(OptionError) {
        if (options.etcdCertFile == nil) != (options.etcdKeyFile == nil) {
            throw OptionError("--etcd-cert and --etcd-key must be given together (ETCD_CERT_FILE, ETCD_KEY_FILE)")
        }
        if (options.etcdUsername == nil) != (options.etcdPassword == nil) {
            throw OptionError("--etcd-user and --etcd-password must be given together (ETCD_USERNAME, ETCD_PASSWORD)")
        }
    }
}

// MARK: - Value parsers

extension AutomaticTincOptions {
    /// Checks a network name. It becomes a directory under the config root and a component of
    /// etcd keys, so it is limited to characters that are safe in both.
    static func parseNetworkName(_ value: String, option: String) throws(OptionError) -> String {
        let allowed = value.utf8.allSatisfy { byte in
            NodeName.isValid(String(decoding: [byte], as: UTF8.self)) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
        guard !value.isEmpty, allowed, value != ".", value != ".." else {
            throw OptionError("Invalid value for \(option): \"\(value)\"; a network name contains only ASCII letters, digits, '_', '-' and '.'")
        }
        return value
    }

    /// Parses the VPN's IPv4 network. It needs room for at least two nodes besides the network
    /// and broadcast addresses, so the prefix length is at most 30.
    static func parseVPNSubnet(_ value: String, option: String) throws(OptionError) -> IPv4Network {
        guard let network = IPv4Network(value) else {
            throw OptionError("Invalid value for \(option): \"\(value)\"; expected an IPv4 network such as 172.16.0.0/13")
        }
        guard network.prefixLength >= 1, network.prefixLength <= 30 else {
            throw OptionError("Invalid value for \(option): \"\(value)\"; the prefix length must be between 1 and 30")
        }
        guard network.hasCleanHostBits else {
            throw OptionError("Invalid value for \(option): \"\(value)\"; the host bits must be zero (did you mean \(network.masked)?)")
        }
        return network
    }

    static func parseEndpoints(_ value: String, option: String) throws(OptionError) -> [String] {
        let endpoints = value.split(separator: ",").map { $0.trimmingBlanks() }.filter { !$0.isEmpty }
        guard !endpoints.isEmpty else {
            throw OptionError("Invalid value for \(option): \"\(value)\"; expected one or more URLs separated by ','")
        }
        for endpoint in endpoints {
            let host = endpoint.hasPrefix("http://") ? endpoint.dropFirst(7) : endpoint.hasPrefix("https://") ? endpoint.dropFirst(8) : nil
            guard let host, !host.isEmpty, !host.contains(where: \.isWhitespace) else {
                throw OptionError("Invalid value for \(option): \"\(endpoint)\"; an etcd endpoint is an http:// or https:// URL")
            }
        }
        return endpoints
    }

    static func parsePath(_ value: String, option: String) throws(OptionError) -> String {
        guard !value.isEmpty, !value.contains("\0") else {
            throw OptionError("Invalid value for \(option): \"\(value)\"; expected a file or directory path")
        }
        return value
    }

    /// The address goes into the host file as `Address = VALUE`, so it must be one word.
    static func parsePublicAddress(_ value: String, option: String) throws(OptionError) -> String {
        let badByte = value.utf8.contains { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "#") }
        guard !value.isEmpty, !badByte else {
            throw OptionError("Invalid value for \(option): \"\(value)\"; expected an IP address or a host name without blanks")
        }
        return value
    }

    static func parseInteger(_ value: String, option: String, range: ClosedRange<Int>, unit: String) throws(OptionError) -> Int {
        guard !value.isEmpty, value.allSatisfy(\.isASCIIDigit), let number = Int(value), range.contains(number) else {
            throw OptionError("Invalid value for \(option): \"\(value)\"; expected \(unit) from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// Linux interface names have at most 15 bytes (IFNAMSIZ 16 with the NUL) and no '/' or blanks.
    static func parseInterfaceName(_ value: String, option: String) throws(OptionError) -> String {
        let badByte = value.utf8.contains { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") }
        guard !value.isEmpty, value.utf8.count <= 15, !badByte, value != ".", value != ".." else {
            throw OptionError("Invalid value for \(option): \"\(value)\"; expected an interface name of 1 to 15 characters without '/', ':' or blanks")
        }
        return value
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension StringProtocol {
    func trimmingBlanks() -> String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}

// MARK: - Help

extension AutomaticTincOptions {
    public static let usage = """
        Usage: automatic-tinc [OPTION]... [run]
               automatic-tinc [OPTION]... list
               automatic-tinc [OPTION]... forget NAME

        Joins a tinc VPN whose nodes find each other through etcd, and runs tincd
        \(AutomaticTinc.tincVersion) in this process. `run' (the default) registers this node and
        keeps its configuration in step with etcd. `list' prints every node of the network.
        `forget NAME' deletes the etcd keys of node NAME.

        Each option can also be set by the environment variable in brackets; the option wins.

          --network NAME         Name of the VPN: the etcd key prefix /tinc-vpn.org/NAME and the
                                 directory CONFIG_ROOT/NAME. [TINC_NETWORK_NAME]
                                 Default: automatic-tinc.
          --subnet CIDR          IPv4 network that VPN addresses are taken from; prefix length
                                 1 to 30. [TINC_NETWORK_SUBNET] Default: 172.16.0.0/13.
          --etcd URL[,URL...]    etcd endpoints, http:// or https://. [ETCD_ENDPOINTS]
                                 Default: http://127.0.0.1:4001.
          --etcd-api API         auto, v2 or v3; auto probes the server. [ETCD_API] Default: auto.
          --etcd-ca FILE         PEM file of the CA that signed etcd's certificate. [ETCD_CA_FILE]
          --etcd-cert FILE       PEM client certificate for etcd; needs --etcd-key. [ETCD_CERT_FILE]
          --etcd-key FILE        PEM private key of the client certificate. [ETCD_KEY_FILE]
          --etcd-user USER       etcd user name; needs --etcd-password. [ETCD_USERNAME]
          --etcd-password PASS   etcd password. [ETCD_PASSWORD]
          --name NAME            Node name: ASCII letters, digits and '_'. [TINC_NODE_NAME]
                                 Default: the host name up to its first '.', with every other
                                 character replaced by '_'.
          --public-address ADDR  Address (IP or host name) that other nodes connect to.
                                 [TINC_PUBLIC_ADDRESS] Default: the source address of this
                                 host's default route, read from /proc/net/route and
                                 /proc/net/ipv6_route.
          --config-root DIR      Directory that holds the network's tinc directory.
                                 [TINC_CONFIG_ROOT] Default: /etc/tinc.
          --port N               TCP and UDP port tincd listens on, 1 to 65535. [TINC_PORT]
                                 Default: 655.
          --key-bits N           Size in bits of the RSA key generated on first start, 1024 to
                                 16384. [TINC_KEY_BITS] Default: 4096.
          --connect-to N         Number of peers to hold outgoing meta connections to, 1 to 64.
                                 [TINC_CONNECT_TO] Default: 3.
          --interface NAME       Name of the tun interface, at most 15 characters.
                                 [TINC_INTERFACE] Default: tun0.
          -d, --debug[=LEVEL]    Increase the debug level or set it to LEVEL (0 to 10), as
                                 tincd's -d does. Default: 0.
          --help                 Print this help and exit.
          --version              Print the version and exit.

        """
}
