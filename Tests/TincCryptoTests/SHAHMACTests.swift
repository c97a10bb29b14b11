import COpenSSL
import XCTest
@testable import TincCrypto

/// The allocation-free SHA path must give the same MAC as OpenSSL's one-shot HMAC().
final class SHAHMACTests: XCTestCase {
    private func referenceHMAC(_ name: String, key: [UInt8], data: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        let md = EVP_get_digestbyname(name)
        _ = HMAC(md, key, Int32(key.count), data, data.count, &output, &length)
        return Array(output[0..<Int(length)])
    }

    func testMatchesOpenSSLForEveryDigestAndKeySize() throws {
        let names = ["sha1", "sha224", "sha256", "sha384", "sha512"]
        for name in names {
            let digest = try XCTUnwrap(DigestAlgorithm.named(name))
            for keyLength in [1, 20, 63, 64, 65, 128, 129, 200] {
                let key = (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
                let data = (0..<1500).map { UInt8(truncatingIfNeeded: $0 &* 13) }
                let context = try key.withUnsafeBytes { try HMACContext(digest: digest, key: $0) }
                var output = [UInt8](repeating: 0, count: 64)
                let length = data.withUnsafeBytes { input in
                    output.withUnsafeMutableBytes { context.compute(input, into: $0) }
                }
                XCTAssertEqual(Array(output[0..<length]), referenceHMAC(name, key: key, data: data),
                               "\(name) with a \(keyLength)-byte key")
            }
        }
    }

    func testRepeatedComputeGivesSameMAC() throws {
        let context = try [UInt8](repeating: 9, count: 48).withUnsafeBytes { try HMACContext(digest: .sha256, key: $0) }
        let data = [UInt8](repeating: 1, count: 100)
        var first = [UInt8](repeating: 0, count: 64)
        var second = [UInt8](repeating: 0, count: 64)
        _ = data.withUnsafeBytes { input in first.withUnsafeMutableBytes { context.compute(input, into: $0) } }
        _ = data.withUnsafeBytes { input in second.withUnsafeMutableBytes { context.compute(input, into: $0) } }
        XCTAssertEqual(first, second)
    }
}
