/// One `Variable = Value` line of a config file, or one `-o` option.
public struct ConfigEntry: Sendable, Equatable {
    /// The variable's name as written; lookups ignore its case.
    public var variable: String
    public var value: String
    /// The file the entry was read from, or nil for a command-line (`-o`) option.
    public var file: String?
    /// The line number in `file`, or the option's position (from 1) for a `-o` option.
    public var line: Int

    public init(variable: String, value: String, file: String?, line: Int) {
        self.variable = variable
        self.value = value
        self.file = file
        self.line = line
    }

    /// "in FILE line N" or "in command line option N", for messages about this entry.
    public var location: String {
        if let file {
            return "in \(file) line \(line)"
        }
        return "in command line option \(line)"
    }
}

/// A configuration that cannot be read or used. The message keeps tincd 1.0.36's wording
/// (conf.c and net_setup.c) so operators' greps still match, and adds the offending value.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A line or option with a variable but no value.
        case missingValue
        /// A config file that cannot be opened or read.
        case unreadableFile
        /// A value that is neither "yes" nor "no".
        case invalidBool
        /// A value that does not start with an integer.
        case invalidInteger
        /// A value that is not a subnet.
        case invalidSubnet
        /// A subnet with address bits set below its prefix length.
        case subnetHostBits
        /// A `Name` that is not a valid node name, or whose `$VARIABLE` cannot be expanded.
        case invalidName
    }

    public var kind: Kind
    public var message: String
    /// The file the problem is in, when there is one.
    public var file: String?
    /// The line (or `-o` option position) the problem is on, when there is one.
    public var line: Int?

    public init(_ kind: Kind, _ message: String, file: String? = nil, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.file = file
        self.line = line
    }

    /// Creates an error about the value of `entry` that names its variable, place and value.
    init(_ kind: Kind, expected: String, entry: ConfigEntry) {
        let message = "\(expected) for configuration variable \(entry.variable) \(entry.location), got \"\(entry.value)\""
        self.init(kind, message, file: entry.file, line: entry.line)
    }

    public var description: String { message }
}
