#if canImport(Glibc)
import Glibc
#endif
import TincBase

/// A tincd configuration directory (confbase): tinc.conf, conf.d/*.conf, hosts/NAME and the
/// private key, laid out as tincd 1.0.36 reads them.
public struct ConfigDirectory: Sendable {
    public var path: String

    public init(path: String) {
        self.path = path
    }

    /// The directory under which `-n NETNAME` looks, as in a tinc built with sysconfdir /etc.
    public static let systemDirectory = "/etc/tinc"

    /// Chooses the directory as tincd.c make_names does: `-c DIR` wins, else `-n NETNAME` gives
    /// /etc/tinc/NETNAME, else /etc/tinc. Netname "." means no netname.
    ///
    /// tincd 1.0.36 does not check NETNAME further, so "a/b" or ".." are used as given.
    public static func resolve(configDir: String?, netname: String?) -> ConfigDirectory {
        let netname = effectiveNetname(netname)

        if let configDir {
            if netname != nil {
                Log.info("Both netname and configuration directory given, using the latter...")
            }
            return ConfigDirectory(path: configDir)
        }
        if let netname {
            return ConfigDirectory(path: "\(systemDirectory)/\(netname)")
        }
        return ConfigDirectory(path: systemDirectory)
    }

    /// Returns the netname tincd uses after reading `-n`: nil for none and for ".", which
    /// tincd treats as "no netname".
    public static func effectiveNetname(_ netname: String?) -> String? {
        netname == "." ? nil : netname
    }

    public var tincConf: String { path + "/tinc.conf" }
    public var confDirectory: String { path + "/conf.d" }
    public var hostsDirectory: String { path + "/hosts" }
    /// The private key when `PrivateKeyFile` is not set.
    public var defaultPrivateKeyFile: String { path + "/rsa_key.priv" }

    public func hostFile(_ name: String) -> String {
        hostsDirectory + "/" + name
    }

    /// Reads the server configuration as read_server_config does: the `-o` options without a
    /// host prefix, tinc.conf, then every file in conf.d whose name is longer than ".conf" and
    /// ends with it. A missing conf.d is fine; a missing tinc.conf is an error.
    public func readServerConfig(options: [(host: String?, entry: ConfigEntry)]) throws -> Config {
        var config = Config(entries: options.filter { $0.host == nil }.map(\.entry))
        config.merge(try ConfigParser.read(file: tincConf))

        // tincd reads conf.d in readdir order. Lookups sort entries by line and file, so the
        // order only decides which error comes first, and sorting makes that repeatable.
        if let names = Self.listDirectory(confDirectory) {
            for name in names.sorted() where name.utf8.count > 5 && name.utf8.reversed().starts(with: ".conf".utf8.reversed()) {
                config.merge(try ConfigParser.read(file: confDirectory + "/" + name))
            }
        }
        return config
    }

    /// Reads hosts/NAME as read_connection_config does, with the `-o NAME.Var=Value` options
    /// (the host prefix is compared with case) before it. Throws for a name that is not a valid
    /// node name, because that name becomes a path.
    public func readHostConfig(_ name: String, options: [(host: String?, entry: ConfigEntry)]) throws -> Config {
        guard NodeName.isValid(name) else {
            throw ConfigError(.invalidName, "Invalid node name \"\(name)\": only ASCII letters, digits and '_' are allowed")
        }

        var config = Config(entries: options.filter { $0.host == name }.map(\.entry))
        config.merge(try ConfigParser.read(file: hostFile(name)))
        return config
    }

    /// Resolves the `Name` variable as tincd 1.0.36's get_name does. A value starting with '$'
    /// names an environment variable; `$HOST` falls back to gethostname() when HOST is unset.
    /// The expanded text has every character other than an ASCII letter or digit replaced
    /// with '_'. The result must be a valid node name.
    public static func resolveName(_ raw: String) throws -> String {
        try resolveName(raw, environment: { name in getenv(name).map { String(cString: $0) } },
                        hostname: systemHostname)
    }

    /// `resolveName` with the environment and the host name supplied by the caller, for tests.
    static func resolveName(_ raw: String, environment: (String) -> String?,
                            hostname: () throws -> String) throws -> String {
        var name = raw

        if raw.hasPrefix("$") {
            let variable = String(raw.dropFirst())
            var expanded = environment(variable)
            if expanded == nil {
                guard variable == "HOST" else {
                    throw ConfigError(.invalidName, "Invalid Name: environment variable \(variable) does not exist")
                }
                expanded = try hostname()
            }
            name = NodeName.sanitize(expanded ?? "")
        }

        guard NodeName.isValid(name) else {
            throw ConfigError(.invalidName,
                              "Invalid name for myself: \"\(name)\" must be ASCII letters, digits and '_' only")
        }
        return name
    }

    /// Reads the host name as tincd does, with gethostname() into a 32-byte buffer. glibc
    /// fails with ENAMETOOLONG for a host name of 32 bytes or more, and so does tincd.
    static func systemHostname() throws -> String {
        var buffer = [CChar](repeating: 0, count: 32)
        let failed = gethostname(&buffer, buffer.count) != 0
        buffer[buffer.count - 1] = 0
        let hostname = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard !failed, !hostname.isEmpty else {
            let reason = failed ? ConfigParser.errorText(errno) : "empty host name"
            throw ConfigError(.invalidName, "Could not get hostname: \(reason)")
        }
        return hostname
    }
}

extension ConfigDirectory {
    /// Names in a directory (without "." and ".."), or nil when it cannot be opened. Plain
    /// readdir(3), so that the daemon does not load Foundation for this one listing.
    static func listDirectory(_ path: String) -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
