import XCTest
import TincBase

final class HexTests: XCTestCase {
    func testHexEncodesUppercase() {
        XCTAssertEqual(Hex.encode([0x00, 0xAB, 0xFF, 0x10]), "00ABFF10")
    }

    func testHexEncodesEmpty() {
        XCTAssertEqual(Hex.encode([UInt8]()), "")
    }

    func testHexDecodesEitherCase() {
        XCTAssertEqual(Hex.decode("00abFF10"[...]), [0x00, 0xAB, 0xFF, 0x10])
    }

    func testHexDecodesEmpty() {
        XCTAssertEqual(Hex.decode(""[...]), [])
    }

    func testHexRejectsOddLengthAndNonHex() {
        for text in ["abc", "zz", "0g", " 0", "0x12", "é0"] {
            XCTAssertNil(Hex.decode(text[...]), text)
        }
    }

    func testHexRoundTripsEveryByte() {
        let bytes = (0...255).map { UInt8($0) }
        XCTAssertEqual(Hex.decode(Hex.encode(bytes)[...]), bytes)
    }
}
