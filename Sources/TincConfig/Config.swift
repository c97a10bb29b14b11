import TincBase

/// A set of config entries with tincd 1.0.36's lookups (conf.c): names are compared without
/// regard to case, and entries for one variable come back in the order of tinc's config tree.
public struct Config: Sendable {
    public var entries: [ConfigEntry]

    public init(entries: [ConfigEntry] = []) {
        self.entries = entries
    }

    /// Returns every entry for `variable` (compared without regard to ASCII case) in tinc's
    /// lookup order: command-line options first, then by line number, then by file name.
    ///
    /// tinc's config_compare compares the line before the file, so line 2 of conf.d/a.conf
    /// comes before line 5 of tinc.conf, and files only decide between equal line numbers.
    public func all(_ variable: String) -> [ConfigEntry] {
        entries
            .filter { Config.namesEqual($0.variable, variable) }
            .sorted(by: Config.lookupOrder)
    }

    /// Returns the entry that tinc's lookup_config finds: the first of `all(variable)`.
    public func first(_ variable: String) -> ConfigEntry? {
        all(variable).first
    }

    /// Returns the value of the first entry for `variable` (get_config_string).
    public func string(_ variable: String) -> String? {
        first(variable)?.value
    }

    /// Reads the first entry for `variable` as get_config_bool does: "yes" or "no" in any case.
    /// Returns nil when the variable is not set, and throws for any other value.
    public func bool(_ variable: String) throws -> Bool? {
        guard let entry = first(variable) else { return nil }

        if Config.namesEqual(entry.value, "yes") { return true }
        if Config.namesEqual(entry.value, "no") { return false }
        throw ConfigError(.invalidBool, expected: "\"yes\" or \"no\" expected", entry: entry)
    }

    /// Reads the first entry for `variable` as get_config_int does with sscanf("%d").
    /// Leading whitespace and a sign are allowed, and the integer ends at the first non-digit
    /// ("12abc" is 12). A value beyond the range of a C int keeps its low 32 bits, as in C.
    /// Returns nil when the variable is not set, and throws when no digits start the value.
    public func int(_ variable: String) throws -> Int? {
        guard let entry = first(variable) else { return nil }

        var scanner = CFormatScanner(entry.value)
        guard let value = scanner.scanInt() else {
            throw ConfigError(.invalidInteger, expected: "Integer expected", entry: entry)
        }
        return Int(value)
    }

    /// Reads every entry for `variable` as a subnet (get_config_subnet), in lookup order.
    /// Throws for a value that is not a subnet, and for an IPv4 or IPv6 subnet with host bits set
    /// ("10.0.0.1/24"), which tincd rejects to catch a mistyped network.
    public func subnets(_ variable: String = "Subnet") throws -> [Subnet] {
        try all(variable).map { entry in
            guard let subnet = Subnet.parse(entry.value) else {
                throw ConfigError(.invalidSubnet, expected: "Subnet expected", entry: entry)
            }
            guard subnet.hasCleanHostBits else {
                throw ConfigError(.subnetHostBits, expected: "Network address and prefix length do not match",
                                  entry: entry)
            }
            return subnet
        }
    }

    /// Adds the entries of `other`, as tincd adds a second file to the same config tree.
    /// An entry whose variable, file and line equal an existing entry's is dropped, as tinc's
    /// tree keeps only the first of equal keys.
    public mutating func merge(_ other: Config) {
        for entry in other.entries where !entries.contains(where: { Config.sameKey($0, entry) }) {
            entries.append(entry)
        }
    }

    // MARK: - tinc's ordering

    static func lookupOrder(_ a: ConfigEntry, _ b: ConfigEntry) -> Bool {
        if (a.file == nil) != (b.file == nil) { return a.file == nil }
        if a.line != b.line { return a.line < b.line }
        guard let fileA = a.file, let fileB = b.file else { return false }
        // strcmp order: bytes, not Unicode collation.
        return fileA.utf8.lexicographicallyPrecedes(fileB.utf8)
    }

    static func sameKey(_ a: ConfigEntry, _ b: ConfigEntry) -> Bool {
        namesEqual(a.variable, b.variable) && a.file == b.file && a.line == b.line
    }

    /// strcasecmp equality in the C locale: only ASCII letters fold, so a Kelvin sign is no "k".
    static func namesEqual(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8) { asciiLowercase($0) == asciiLowercase($1) }
    }

    private static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}
