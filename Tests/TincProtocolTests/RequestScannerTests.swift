import XCTest
@testable import TincProtocol

/// sscanf corner cases, checked through the requests whose formats use each conversion.
final class RequestScannerTests: XCTestCase {
    func testPeekReadsNumber() {
        XCTAssertEqual(RequestType.peek("12 1a2b3c alpha beta"), 12)
    }

    func testPeekSkipsWhitespace() {
        XCTAssertEqual(RequestType.peek(" \t8"), 8)
    }

    func testPeekNeedsNoSpaceAfterNumber() {
        XCTAssertEqual(RequestType.peek("17abc"), 17)
    }

    func testPeekKeepsSign() {
        XCTAssertEqual(RequestType.peek("-1"), -1)
    }

    func testPeekRejectsText() {
        XCTAssertNil(RequestType.peek("GET / HTTP/1.0"))
    }

    func testPeekRejectsEmptyLine() {
        XCTAssertNil(RequestType.peek(""))
    }

    func testPeekRejectsSignAlone() {
        XCTAssertNil(RequestType.peek("- 1"))
    }

    func testRequestNames() {
        XCTAssertEqual(RequestType.id.name, "ID")
        XCTAssertEqual(RequestType.metaKey.name, "METAKEY")
        XCTAssertEqual(RequestType.challengeReply.name, "CHAL_REPLY")
        XCTAssertEqual(RequestType.termReq.name, "TERMREQ")
        XCTAssertEqual(RequestType.addSubnet.name, "ADD_SUBNET")
        XCTAssertEqual(RequestType.keyChanged.name, "KEY_CHANGED")
        XCTAssertEqual(RequestType.packet.name, "PACKET")
    }

    func testRequestNumbers() {
        XCTAssertEqual(RequestType.id.rawValue, 0)
        XCTAssertEqual(RequestType.ack.rawValue, 4)
        XCTAssertEqual(RequestType.ping.rawValue, 8)
        XCTAssertEqual(RequestType.addSubnet.rawValue, 10)
        XCTAssertEqual(RequestType.addEdge.rawValue, 12)
        XCTAssertEqual(RequestType.ansKey.rawValue, 16)
        XCTAssertEqual(RequestType.packet.rawValue, 17)
        XCTAssertEqual(RequestType.allCases.count, 18)
    }

    // MARK: - Whitespace and trailing data

    func testExtraWhitespaceAccepted() throws {
        let ack = try AckRequest.parse("4  655 \t 12\t\t700000c")
        XCTAssertEqual(ack, AckRequest(port: "655", weight: 12, options: 0x700_000c))
    }

    func testLeadingWhitespaceAccepted() throws {
        let ack = try AckRequest.parse("  4 655 12 c")
        XCTAssertEqual(ack.port, "655")
    }

    func testTrailingTokensIgnored() throws {
        let edge = try AddEdgeRequest.parse("12 1a2b3c alpha beta 10.0.0.1 655 700000c 13 extra junk")
        XCTAssertEqual(edge.weight, 13)
    }

    func testTrailingCarriageReturnIgnored() throws {
        let id = try IDRequest.parse("0 alpha 17\r")
        XCTAssertEqual(id.protocolVersion, 17)
    }

    func testNumberNeedsNoSpaceAfter() throws {
        // "%d %x" reads "12" and then "abc" from the same token.
        let ack = try AckRequest.parse("4 655 12abc")
        XCTAssertEqual(ack.weight, 12)
        XCTAssertEqual(ack.options, 0xabc)
    }

    func testRequestNumberNeedsNoSpaceAfter() throws {
        let id = try IDRequest.parse("0alpha 17")
        XCTAssertEqual(id.name, "alpha")
    }

    func testNulEndsLine() {
        XCTAssertThrowsError(try ReqKeyRequest.parse("15 alpha\0 beta")) { error in
            XCTAssertEqual(error as? ProtocolError,
                           ProtocolError(request: .reqKey, field: "to name", reason: .missing))
        }
    }

    // MARK: - Missing and invalid fields

    func testMissingFieldRejected() {
        XCTAssertThrowsError(try AddEdgeRequest.parse("12 1a2b3c alpha beta 10.0.0.1 655 700000c")) { error in
            XCTAssertEqual(error as? ProtocolError,
                           ProtocolError(request: .addEdge, field: "weight", reason: .missing))
        }
    }

    func testMissingRequestNumberRejected() {
        XCTAssertThrowsError(try PingRequest.parse("")) { error in
            XCTAssertEqual((error as? ProtocolError)?.reason, .missing)
        }
    }

    func testNonNumberRejected() {
        XCTAssertThrowsError(try AckRequest.parse("4 655 x 1")) { error in
            XCTAssertEqual(error as? ProtocolError,
                           ProtocolError(request: .ack, field: "weight", reason: .invalid))
        }
    }

    func testNonHexRejected() {
        XCTAssertThrowsError(try DelEdgeRequest.parse("13 zz alpha beta")) { error in
            XCTAssertEqual(error as? ProtocolError,
                           ProtocolError(request: .delEdge, field: "nonce", reason: .invalid))
        }
    }

    func testErrorDescription() {
        let error = ProtocolError(request: .addEdge, field: "weight", reason: .missing)
        XCTAssertEqual(error.description, "bad ADD_EDGE: missing weight")
    }

    // MARK: - Numbers

    func testNegativeDecimal() throws {
        XCTAssertEqual(try AckRequest.parse("4 655 -12 c").weight, -12)
    }

    func testPlusSignDecimal() throws {
        XCTAssertEqual(try AckRequest.parse("4 655 +12 c").weight, 12)
    }

    func testDecimalTruncatedToInt() throws {
        // strtol reads 2^32 + 17 into a 64-bit long, and C keeps the low 32 bits.
        XCTAssertEqual(try IDRequest.parse("0 alpha 4294967313").protocolVersion, 17)
    }

    func testDecimalSaturatesBeforeTruncation() throws {
        // strtol saturates at LONG_MAX, whose low 32 bits are -1 as an int.
        XCTAssertEqual(try IDRequest.parse("0 alpha 99999999999999999999").protocolVersion, -1)
    }

    func testNegativeDecimalSaturates() throws {
        // LONG_MIN keeps 0 in its low 32 bits.
        XCTAssertEqual(try IDRequest.parse("0 alpha -99999999999999999999").protocolVersion, 0)
    }

    func testHexWithPrefix() throws {
        XCTAssertEqual(try AckRequest.parse("4 655 12 0x1F").options, 0x1f)
    }

    func testHexUppercase() throws {
        XCTAssertEqual(try AckRequest.parse("4 655 12 700000C").options, 0x700_000c)
    }

    func testHexPrefixWithoutDigits() throws {
        // glibc takes "0x" and stops: the value is the 0.
        XCTAssertEqual(try AckRequest.parse("4 655 12 0x").options, 0)
    }

    func testNegativeHexWraps() throws {
        XCTAssertEqual(try AckRequest.parse("4 655 12 -1").options, 0xffff_ffff)
    }

    func testHexOverflowSaturates() throws {
        XCTAssertEqual(try AckRequest.parse("4 655 12 123456789abcdef0123").options, 0xffff_ffff)
    }

    func testHexKeepsLowBits() throws {
        XCTAssertEqual(try AckRequest.parse("4 655 12 100000001").options, 1)
    }

    // MARK: - String width

    func testStringOfMaximumLengthAccepted() throws {
        let name = String(repeating: "a", count: 2048)
        let request = try ReqKeyRequest.parse(Substring("15 \(name) beta"))
        XCTAssertEqual(request.from, name)
        XCTAssertEqual(request.to, "beta")
    }

    func testOverlongStringRejected() {
        let name = String(repeating: "a", count: 2049)
        XCTAssertThrowsError(try ReqKeyRequest.parse(Substring("15 \(name) beta"))) { error in
            XCTAssertEqual(error as? ProtocolError,
                           ProtocolError(request: .reqKey, field: "from name", reason: .tooLong))
        }
    }

    func testOverlongLastStringRejected() {
        let challenge = String(repeating: "A", count: 2050)
        XCTAssertThrowsError(try ChallengeRequest.parse(Substring("2 \(challenge)"))) { error in
            XCTAssertEqual((error as? ProtocolError)?.reason, .tooLong)
        }
    }
}
