import XCTest
import TincConfig

final class PEMBlockTests: XCTestCase {
    private let key = """
        -----BEGIN RSA PUBLIC KEY-----
        MIIBCgKCAQEA0Xb4Zp1R2sI3s+ZkT4S9oG8wRkQm0u6f2kP4e1c7Gq0w3fH2rJ1y
        AgMBAAE=
        -----END RSA PUBLIC KEY-----

        """

    func testPEMExtractsBlockFromHostFile() {
        let host = "Address = 192.0.2.1\nSubnet = 10.0.0.0/8\n" + key + "Port = 656\n"
        XCTAssertEqual(PEMBlock.extract(label: "RSA PUBLIC KEY", from: host), key)
    }

    func testPEMExtractsFromCRLFText() {
        let host = "Port = 656\r\n" + key.replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertEqual(PEMBlock.extract(label: "RSA PUBLIC KEY", from: host), key)
    }

    func testPEMNeedsMatchingLabel() {
        XCTAssertNil(PEMBlock.extract(label: "PUBLIC KEY", from: key))
    }

    func testPEMNeedsEndLine() {
        let truncated = key.replacingOccurrences(of: "-----END RSA PUBLIC KEY-----\n", with: "")
        XCTAssertNil(PEMBlock.extract(label: "RSA PUBLIC KEY", from: truncated))
    }

    func testPEMReturnsFirstBlock() {
        let second = key.replacingOccurrences(of: "AgMBAAE=", with: "AgMBAAF=")
        XCTAssertEqual(PEMBlock.extract(label: "RSA PUBLIC KEY", from: key + second), key)
    }
}
