/// Hexadecimal text as tinc puts it on the wire: keys and challenges in ID, METAKEY, CHALLENGE,
/// CHAL_REPLY and ANS_KEY requests (tinc 1.0.36 utils.c bin2hex and hex2bin).
public enum Hex {
    private static let digits = Array("0123456789ABCDEF".utf8)

    /// Encodes bytes as uppercase hexadecimal, two digits per byte, as tinc's bin2hex writes them.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Decodes hexadecimal text in either case. Returns nil when the length is odd or a character
    /// is not a hexadecimal digit, where tinc's hex2bin fails.
    public static func decode(_ text: Substring) -> [UInt8]? {
        let utf8 = text.utf8
        guard utf8.count % 2 == 0 else { return nil }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var high: UInt8?
        for character in utf8 {
            guard let nibble = nibbleValue(character) else { return nil }
            if let first = high {
                bytes.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return bytes
    }

    /// Decodes a whole string; see `decode(_:)` for a substring.
    public static func decode(_ text: String) -> [UInt8]? {
        decode(text[...])
    }

    private static func nibbleValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
