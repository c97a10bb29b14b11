#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import TincBase

/// Compares the scanner with glibc's own sscanf, which str2net and get_config_int call.
final class CFormatScannerTests: XCTestCase {
    private let inputs = [
        "0", "12", " 12", "\t-7", "+7", "- 7", "-", "+", "", "x1", "0x", "0x:", "0xg", "0X1f", "-0x5", "00x1",
        "fffff", "-1", "65535", "65536", "65537", "-65535", "2147483648", "-2147483649", "4294967320",
        "-4294967296", "99999999999999999999", "-99999999999999999999", "18446744073709551615",
        "18446744073709551616", "9223372036854775808", "-9223372036854775808", "12abc", "1.2", "abc",
    ]

    func testScanIntMatchesGlibc() {
        for input in inputs {
            let expected = glibcScan(input, "%d%n", initial: Int32(0))

            var scanner = CFormatScanner(input)
            let value = scanner.scanInt()
            XCTAssertEqual(value, expected.count == 1 ? expected.value : nil, "input \(input)")
            if expected.count == 1 {
                XCTAssertEqual(scanner.position, Int(expected.consumed), "input \(input)")
            }
        }
    }

    func testScanUnsignedShortMatchesGlibc() {
        for (format, hexadecimal) in [("%hu%n", false), ("%hx%n", true)] {
            for input in inputs {
                let expected = glibcScan(input, format, initial: UInt16(0))

                var scanner = CFormatScanner(input)
                let value = scanner.scanUnsignedShort(hexadecimal: hexadecimal)
                XCTAssertEqual(value, expected.count == 1 ? expected.value : nil, "\(format) input \(input)")
                if expected.count == 1 {
                    XCTAssertEqual(scanner.position, Int(expected.consumed), "\(format) input \(input)")
                }
            }
        }
    }

    func testLiteralDoesNotSkipWhitespace() {
        var scanner = CFormatScanner(" :")
        XCTAssertFalse(scanner.matchLiteral(UInt8(ascii: ":")))
    }

    /// Runs sscanf(input, format, &value, &consumed), where format ends in "%n".
    private func glibcScan<Value>(_ input: String, _ format: String,
                                  initial: Value) -> (count: Int32, value: Value, consumed: Int32) {
        var value = initial
        var consumed: Int32 = -1
        let count = withUnsafeMutablePointer(to: &value) { valuePointer in
            withUnsafeMutablePointer(to: &consumed) { consumedPointer in
                withVaList([valuePointer, consumedPointer]) { vsscanf(input, format, $0) }
            }
        }
        return (count, value, consumed)
    }
}
