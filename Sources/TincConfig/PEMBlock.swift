/// PEM text in host files and key files, found without OpenSSL.
public enum PEMBlock {
    /// Extracts the first block from a line "-----BEGIN <label>-----" through the next line
    /// "-----END <label>-----", both included. Marker lines must start at the beginning of a
    /// line, and blanks or '\r' after a marker are ignored. The block comes back with '\n'
    /// line ends and a final '\n'. Returns nil when there is no complete block with that label.
    public static func extract(label: String, from text: String) -> String? {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        var block: [String] = []

        // Split on the '\n' byte: Swift treats "\r\n" as one Character, so splitting the
        // String on "\n" would leave CRLF files in one piece.
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let line = trimmingLineEnd(rawLine)
            if block.isEmpty {
                if line == begin { block.append(line) }
                continue
            }
            block.append(line)
            if line == end {
                return block.joined(separator: "\n") + "\n"
            }
        }
        return nil
    }

    private static func trimmingLineEnd(_ line: Substring.UTF8View.SubSequence) -> String {
        var trimmed = line
        while let last = trimmed.last,
              last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") || last == UInt8(ascii: "\r") {
            trimmed = trimmed.dropLast()
        }
        return String(decoding: trimmed, as: UTF8.self)
    }
}
