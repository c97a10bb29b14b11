/// Node names: the `Name` in tinc.conf, the file names under hosts/ and the names in requests.
public enum NodeName {
    /// Checks a name as tinc 1.0.36's check_id does: every character is an ASCII letter, digit or
    /// '_'. Unlike check_id, the empty string is invalid here, because no node can be named "".
    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty else { return false }
        return name.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") }
    }

    /// Replaces every byte that is not an ASCII letter or digit with '_', as tincd 1.0.36
    /// (net_setup.c get_name) does to the value of `Name = $HOST` or `Name = $VARIABLE`.
    /// A multi-byte UTF-8 character becomes one '_' per byte, as in tincd.
    public static func sanitize(_ text: String) -> String {
        let bytes = text.utf8.map { isAlphanumeric($0) ? $0 : UInt8(ascii: "_") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// isalnum(3) in the C locale.
    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return false
        }
    }
}
