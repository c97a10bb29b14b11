/// A parse failure, naming the request and the field that did not match.
public struct ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The line ended before this field.
        case missing
        /// The field does not start with what its conversion accepts (a digit for `%d`, say).
        case invalid
        /// A string field is longer than the 2048 bytes that tinc's `%2048s` reads.
        case tooLong
    }

    public var request: RequestType
    public var field: String
    public var reason: Reason

    public init(request: RequestType, field: String, reason: Reason) {
        self.request = request
        self.field = field
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .missing: return "bad \(request.name): missing \(field)"
        case .invalid: return "bad \(request.name): invalid \(field)"
        case .tooLong: return "bad \(request.name): \(field) longer than \(maximumStringLength) bytes"
        }
    }
}

/// The width of tinc's `MAX_STRING` conversion, `%2048s` (tinc 1.0.36 protocol.h).
public let maximumStringLength = 2048

/// Reads a request line with the conversions of glibc's sscanf, one field at a time.
///
/// tinc 1.0.36 parses every request with sscanf, so its quirks are the protocol. A number ends at
/// the first byte that is not a digit and needs no space after it. Any run of whitespace, or
/// none, separates fields. Bytes after the last field are ignored. A NUL byte ends the line as it
/// ends tinc's C string.
struct RequestScanner {
    private let bytes: Substring.UTF8View
    private var position: Substring.UTF8View.Index
    private let request: RequestType

    init(_ line: Substring, request: RequestType) {
        bytes = line.utf8
        position = bytes.startIndex
        self.request = request
    }

    /// `%d`: optional sign and decimal digits, stored as C stores strtol's result in an `int`.
    mutating func decimal(_ field: String) throws(ProtocolError) -> Int32 {
        let value = try integer(base: 10, field)
        return Int32(truncatingIfNeeded: value.signed)
    }

    /// `%x`: optional sign, optional `0x` and hex digits, stored as C stores strtoul's result in
    /// an `unsigned int`.
    mutating func hexadecimal(_ field: String) throws(ProtocolError) -> UInt32 {
        let value = try integer(base: 16, field)
        return UInt32(truncatingIfNeeded: value.unsigned)
    }

    /// `%hu`: optional sign and decimal digits, stored in an `unsigned short`.
    mutating func unsignedShort(_ field: String) throws(ProtocolError) -> UInt16 {
        let value = try integer(base: 10, field)
        return UInt16(truncatingIfNeeded: value.unsigned)
    }

    /// `%2048s`: a run of non-whitespace bytes.
    ///
    /// NOTE: sscanf stops a longer token after 2048 bytes and hands the rest to the next
    /// conversion, so tinc 1.0.36 would read shifted fields. Such a line is rejected here instead.
    mutating func string(_ field: String) throws(ProtocolError) -> String {
        skipWhitespace()
        guard !atEnd else { throw ProtocolError(request: request, field: field, reason: .missing) }

        let start = position
        var count = 0
        while !atEnd, !Self.isWhitespace(bytes[position]) {
            count += 1
            guard count <= maximumStringLength else {
                throw ProtocolError(request: request, field: field, reason: .tooLong)
            }
            bytes.formIndex(after: &position)
        }
        return String(Substring(bytes[start..<position]))
    }

    /// Reads a string field if the line has one, as a trailing optional sscanf conversion does.
    mutating func optionalString(_ field: String) throws(ProtocolError) -> String? {
        skipWhitespace()
        if atEnd { return nil }
        return try string(field)
    }

    // MARK: - Conversions

    /// The value of a `%d`, `%x` or `%hu` conversion as strtol and strtoul return it on LP64.
    private struct IntegerValue {
        /// strtol's `long`: saturated at `Int64.min` and `Int64.max`.
        var signed: Int64
        /// strtoul's `unsigned long`: a negative number wraps, a magnitude too large saturates.
        var unsigned: UInt64
    }

    private mutating func integer(base: UInt64, _ field: String) throws(ProtocolError) -> IntegerValue {
        skipWhitespace()
        guard !atEnd else { throw ProtocolError(request: request, field: field, reason: .missing) }

        // Sign.
        var negative = false
        let sign = bytes[position]
        if sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            bytes.formIndex(after: &position)
        }

        // glibc takes a leading "0x" for %x even when no hex digit follows, and the "0" alone
        // then counts as the number.
        var digitCount = 0
        if base == 16, !atEnd, bytes[position] == UInt8(ascii: "0") {
            digitCount = 1
            bytes.formIndex(after: &position)
            if !atEnd, bytes[position] | 0x20 == UInt8(ascii: "x") {
                bytes.formIndex(after: &position)
            }
        }

        // Digits, accumulating the magnitude with saturation.
        var magnitude: UInt64 = 0
        var overflow = false
        while !atEnd, let digit = Self.digitValue(bytes[position], base: base) {
            let (shifted, shiftOverflow) = magnitude.multipliedReportingOverflow(by: base)
            let (sum, sumOverflow) = shifted.addingReportingOverflow(digit)
            if shiftOverflow || sumOverflow { overflow = true }
            magnitude = sum
            digitCount += 1
            bytes.formIndex(after: &position)
        }
        guard digitCount > 0 else {
            throw ProtocolError(request: request, field: field, reason: atEnd ? .missing : .invalid)
        }

        return IntegerValue(signed: Self.strtolValue(magnitude, negative: negative, overflow: overflow),
                            unsigned: Self.strtoulValue(magnitude, negative: negative, overflow: overflow))
    }

    private static func strtolValue(_ magnitude: UInt64, negative: Bool, overflow: Bool) -> Int64 {
        if negative {
            if overflow || magnitude > UInt64(Int64.max) { return Int64.min }
            return -Int64(magnitude)
        }
        if overflow || magnitude > UInt64(Int64.max) { return Int64.max }
        return Int64(magnitude)
    }

    private static func strtoulValue(_ magnitude: UInt64, negative: Bool, overflow: Bool) -> UInt64 {
        if overflow { return UInt64.max }
        return negative ? 0 &- magnitude : magnitude
    }

    // MARK: - Bytes

    private var atEnd: Bool {
        position == bytes.endIndex || bytes[position] == 0
    }

    private mutating func skipWhitespace() {
        while !atEnd, Self.isWhitespace(bytes[position]) {
            bytes.formIndex(after: &position)
        }
    }

    /// isspace(3) in the C locale.
    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0d).contains(byte)
    }

    private static func digitValue(_ byte: UInt8, base: UInt64) -> UInt64? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return UInt64(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f") where base == 16:
            return UInt64(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F") where base == 16:
            return UInt64(byte - UInt8(ascii: "A") + 10)
        default:
            return nil
        }
    }
}
