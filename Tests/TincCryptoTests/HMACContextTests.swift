import TincCrypto
import XCTest

final class HMACContextTests: XCTestCase {
    func mac(_ context: HMACContext, _ data: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 64)
        let length = data.withUnsafeBytes { dataBytes in
            output.withUnsafeMutableBytes { context.compute(dataBytes, into: $0) }
        }
        return Array(output[..<length])
    }

    func makeContext(_ digest: DigestAlgorithm, key: [UInt8]) throws -> HMACContext {
        try key.withUnsafeBytes { try HMACContext(digest: digest, key: $0) }
    }

    // RFC 4231 test case 1.
    func testRFC4231Case1() throws {
        let context = try makeContext(.sha256, key: [UInt8](repeating: 0x0b, count: 20))
        XCTAssertEqual(mac(context, Array("Hi There".utf8)).hex,
                       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    // RFC 4231 test case 2.
    func testRFC4231Case2() throws {
        let context = try makeContext(.sha256, key: Array("Jefe".utf8))
        XCTAssertEqual(mac(context, Array("what do ya want for nothing?".utf8)).hex,
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testContextReuse() throws {
        let context = try makeContext(.sha256, key: Array("Jefe".utf8))
        let message = Array("what do ya want for nothing?".utf8)
        let first = mac(context, message)
        _ = mac(context, Array("something else".utf8))
        XCTAssertEqual(mac(context, message), first)
    }

    func testSHA1Length() throws {
        let context = try makeContext(.sha1, key: [1, 2, 3])
        XCTAssertEqual(mac(context, [4, 5, 6]).count, 20)
    }
}
