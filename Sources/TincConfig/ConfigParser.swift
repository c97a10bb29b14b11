#if canImport(Glibc)
import Glibc
#endif

/// Reads config files and `-o` options as tincd 1.0.36 does (conf.c read_config_file and
/// parse_config_line).
///
/// A line is a variable name, a separator of blanks (spaces and tabs) with at most one '=',
/// and a value that runs to the end of the line without its trailing blanks. Lines that are
/// empty or start with '#' are skipped, and so is everything from a line starting with
/// "-----BEGIN" up to one starting with "-----END", which is how a host file carries its
/// public key.
public enum ConfigParser {
    /// The maximum line length tinc reads at once, in bytes: fgets into a 2049-byte buffer
    /// (MAX_STRING_SIZE) stops after 2048 bytes.
    static let maxLineLength = 2048

    /// Parses the text of one config file; `file` names it in entries and errors.
    public static func parse(text: String, file: String) throws -> Config {
        try parse(bytes: Array(text.utf8), file: file)
    }

    /// Reads and parses one config file.
    public static func read(file path: String) throws -> Config {
        try parse(bytes: readFile(path), file: path)
    }

    /// Parses one `-o` option: "Var=Value", "Var Value", or "HOST.Var=Value", which applies
    /// only to the host file of node HOST. `index` is the option's position among the `-o`
    /// options, counted from 1 as tincd counts them; it becomes the entry's line.
    /// Throws when the option has no value.
    public static func parseOption(_ option: String, index: Int) throws -> (host: String?, entry: ConfigEntry) {
        let bytes = Array(option.utf8.prefix { $0 != 0 })
        var entry = try parseLine(bytes[...], file: nil, line: index)

        // Node names cannot contain '.', so the first '.' ends the host prefix.
        guard let dot = entry.variable.firstIndex(of: ".") else { return (nil, entry) }
        let host = String(entry.variable[..<dot])
        entry.variable = String(entry.variable[entry.variable.index(after: dot)...])
        return (host, entry)
    }

    static func parse(bytes: [UInt8], file: String) throws -> Config {
        var entries: [ConfigEntry] = []
        var lineNumber = 0
        var insideKeyBlock = false

        for line in lines(of: bytes) {
            lineNumber += 1
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }

            if insideKeyBlock {
                if line.starts(with: "-----END".utf8) { insideKeyBlock = false }
                continue
            }
            if line.starts(with: "-----BEGIN".utf8) {
                insideKeyBlock = true
                continue
            }

            entries.append(try parseLine(line, file: file, line: lineNumber))
        }
        return Config(entries: entries)
    }

    /// Splits a file into lines as tinc's readline does with fgets.
    ///
    /// A line longer than `maxLineLength` bytes is not an error in tinc 1.0.36: fgets returns
    /// its first 2048 bytes as one line and the rest as the next, and both are numbered. A line
    /// ends at a NUL byte, as a C string does. One '\r' before the '\n' is removed, but not on
    /// a last line that has no '\n'.
    static func lines(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex

        while start < bytes.endIndex {
            let limit = min(bytes.endIndex, start + maxLineLength)
            var line: ArraySlice<UInt8>
            var endsWithNewline = false

            if let newline = bytes[start..<limit].firstIndex(of: UInt8(ascii: "\n")) {
                line = bytes[start..<newline]
                start = newline + 1
                endsWithNewline = true
            } else {
                line = bytes[start..<limit]
                start = limit
            }

            if let nul = line.firstIndex(of: 0) {
                line = line[..<nul]
            } else if endsWithNewline, line.last == UInt8(ascii: "\r") {
                line = line.dropLast()
            }
            lines.append(line)
        }
        return lines
    }

    /// Splits one line into variable and value (parse_config_line).
    ///
    /// A line that starts with a blank has an empty variable name, so tinc stores it under ""
    /// where no lookup finds it. Such lines are kept here the same way.
    // NOTE: a line of only blanks makes tinc 1.0.36 read before the start of its buffer, which in
    // practice ends in "No value for variable `'". It is rejected with that error here.
    static func parseLine(_ line: ArraySlice<UInt8>, file: String?, line lineNumber: Int) throws -> ConfigEntry {
        var text = line
        while let last = text.last, isBlank(last) { text.removeLast() }

        let nameEnd = text.firstIndex { isBlank($0) || $0 == UInt8(ascii: "=") } ?? text.endIndex
        var valueStart = nameEnd
        while valueStart < text.endIndex, isBlank(text[valueStart]) { valueStart += 1 }
        if valueStart < text.endIndex, text[valueStart] == UInt8(ascii: "=") {
            valueStart += 1
            while valueStart < text.endIndex, isBlank(text[valueStart]) { valueStart += 1 }
        }

        let variable = String(decoding: text[..<nameEnd], as: UTF8.self)
        guard valueStart < text.endIndex else {
            if let file {
                throw ConfigError(.missingValue,
                                  "No value for variable `\(variable)' on line \(lineNumber) while reading config file \(file)",
                                  file: file, line: lineNumber)
            }
            throw ConfigError(.missingValue, "No value for variable `\(variable)' in command line option \(lineNumber)",
                              line: lineNumber)
        }

        let value = String(decoding: text[valueStart...], as: UTF8.self)
        return ConfigEntry(variable: variable, value: value, file: file, line: lineNumber)
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// Reads a whole file. The messages are tincd's: "Cannot open config file" when fopen
    /// fails, "Failed to read" when reading fails (a directory opens but cannot be read).
    static func readFile(_ path: String) throws -> [UInt8] {
        guard let stream = fopen(path, "r") else {
            throw ConfigError(.unreadableFile, "Cannot open config file \(path): \(errorText(errno))", file: path)
        }
        defer { fclose(stream) }

        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, stream)
            bytes.append(contentsOf: buffer[..<count])
            if count < buffer.count { break }
        }
        if ferror(stream) != 0 {
            throw ConfigError(.unreadableFile, "Failed to read `\(path)': \(errorText(errno))", file: path)
        }
        return bytes
    }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
