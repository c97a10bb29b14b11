import TincBase
import XCTest
@testable import TincProtocol

/// Known-answer lines as tincd 1.0.36 sends them, parsed and formatted back.
final class RequestTests: XCTestCase {
    // MARK: - Authentication

    func testIDFormat() {
        XCTAssertEqual(IDRequest(name: "alpha").line, "0 alpha 17")
    }

    func testIDParse() throws {
        let id = try IDRequest.parse("0 alpha 17")
        XCTAssertEqual(id.name, "alpha")
        XCTAssertEqual(id.protocolVersion, 17)
    }

    func testIDMissingVersion() {
        XCTAssertThrowsError(try IDRequest.parse("0 alpha"))
    }

    func testIDInvalidName() throws {
        XCTAssertFalse(try IDRequest.parse("0 al-pha 17").namesAreValid)
    }

    func testIDValidName() throws {
        XCTAssertTrue(try IDRequest.parse("0 alpha_2 17").namesAreValid)
    }

    func testMetaKeyRoundTrip() throws {
        let line = "1 91 64 4 0 0123456789ABCDEF"
        let request = try MetaKeyRequest.parse(Substring(line))
        XCTAssertEqual(request, MetaKeyRequest(cipher: 91, digest: 64, macLength: 4, compression: 0,
                                               key: "0123456789ABCDEF"))
        XCTAssertEqual(request.line, line)
    }

    func testMetaKeyMissingKey() {
        XCTAssertThrowsError(try MetaKeyRequest.parse("1 91 64 4 0"))
    }

    func testChallengeRoundTrip() throws {
        let line = "2 00FF17A0"
        XCTAssertEqual(try ChallengeRequest.parse(Substring(line)).challenge, "00FF17A0")
        XCTAssertEqual(ChallengeRequest(challenge: "00FF17A0").line, line)
    }

    func testChallengeReplyRoundTrip() throws {
        let line = "3 DEADBEEF"
        XCTAssertEqual(try ChallengeReplyRequest.parse(Substring(line)).hash, "DEADBEEF")
        XCTAssertEqual(ChallengeReplyRequest(hash: "DEADBEEF").line, line)
    }

    func testAckFormat() {
        XCTAssertEqual(AckRequest(port: "655", weight: 12, options: 0x700_000c).line, "4 655 12 700000c")
    }

    func testAckParse() throws {
        XCTAssertEqual(try AckRequest.parse("4 655 12 700000c"),
                       AckRequest(port: "655", weight: 12, options: 0x700_000c))
    }

    // MARK: - Keepalive and packets

    func testPingPong() throws {
        XCTAssertEqual(PingRequest().line, "8")
        XCTAssertEqual(PongRequest().line, "9")
        XCTAssertNoThrow(try PingRequest.parse("8"))
        XCTAssertNoThrow(try PongRequest.parse("9"))
    }

    func testPacketRoundTrip() throws {
        XCTAssertEqual(try PacketRequest.parse("17 1400").length, 1400)
        XCTAssertEqual(PacketRequest(length: 1400).line, "17 1400")
    }

    func testPacketLengthFormattedSigned() {
        // tinc formats the length with %hd.
        XCTAssertEqual(PacketRequest(length: 40000).line, "17 -25536")
    }

    func testPacketNegativeLengthParsed() throws {
        XCTAssertEqual(try PacketRequest.parse("17 -25536").length, 40000)
    }

    func testPacketLengthTruncated() throws {
        XCTAssertEqual(try PacketRequest.parse("17 70000").length, 4464)
    }

    func testPacketMissingLength() {
        XCTAssertThrowsError(try PacketRequest.parse("17"))
    }

    // MARK: - Subnets

    func testAddSubnetParse() throws {
        let request = try AddSubnetRequest.parse("10 5f alpha 10.1.0.0/16#10")
        XCTAssertEqual(request.nonce, 0x5f)
        XCTAssertEqual(request.owner, "alpha")
        XCTAssertEqual(request.subnetString, "10.1.0.0/16#10")
        XCTAssertEqual(request.subnet, Subnet(network: .ipv4(address: 0x0A01_0000, prefixLength: 16), weight: 10))
    }

    func testAddSubnetFormat() {
        let subnet = Subnet(network: .ipv4(address: 0x0A01_0000, prefixLength: 16), weight: 10)
        XCTAssertEqual(AddSubnetRequest(nonce: 0x5f, owner: "alpha", subnet: subnet).line,
                       "10 5f alpha 10.1.0.0/16#10")
    }

    func testAddSubnetInvalidSubnetParses() throws {
        let request = try AddSubnetRequest.parse("10 5f alpha 10.1.0.0/40")
        XCTAssertNil(request.subnet)
    }

    func testAddSubnetMissingSubnet() {
        XCTAssertThrowsError(try AddSubnetRequest.parse("10 5f alpha"))
    }

    func testDelSubnetRoundTrip() throws {
        let line = "11 3039 beta fe80:0:0:0:0:0:0:0/64#10"
        let request = try DelSubnetRequest.parse(Substring(line))
        XCTAssertEqual(request.owner, "beta")
        XCTAssertNotNil(request.subnet)
        XCTAssertEqual(request.line, line)
    }

    func testSubnetOwnerValidity() throws {
        XCTAssertFalse(try DelSubnetRequest.parse("11 1 be.ta 10.0.0.0/8").namesAreValid)
    }

    // MARK: - Edges

    func testAddEdgeParse() throws {
        let request = try AddEdgeRequest.parse("12 1a2b3c alpha beta 10.0.0.1 655 700000c 13")
        XCTAssertEqual(request, AddEdgeRequest(nonce: 0x1a2b3c, from: "alpha", to: "beta", address: "10.0.0.1",
                                               port: "655", options: 0x700_000c, weight: 13))
    }

    func testAddEdgeFormat() {
        let request = AddEdgeRequest(nonce: 0x1a2b3c, from: "alpha", to: "beta", address: "10.0.0.1",
                                     port: "655", options: 0x700_000c, weight: 13)
        XCTAssertEqual(request.line, "12 1a2b3c alpha beta 10.0.0.1 655 700000c 13")
    }

    func testAddEdgeSameNamesInvalid() throws {
        let request = try AddEdgeRequest.parse("12 1 alpha alpha 10.0.0.1 655 0 1")
        XCTAssertFalse(request.namesAreValid)
    }

    func testAddEdgeNamesValid() throws {
        let request = try AddEdgeRequest.parse("12 1 alpha beta 10.0.0.1 655 0 1")
        XCTAssertTrue(request.namesAreValid)
    }

    func testDelEdgeRoundTrip() throws {
        let line = "13 1a2b3c alpha beta"
        let request = try DelEdgeRequest.parse(Substring(line))
        XCTAssertEqual(request, DelEdgeRequest(nonce: 0x1a2b3c, from: "alpha", to: "beta"))
        XCTAssertEqual(request.line, line)
    }

    func testDelEdgeInvalidName() throws {
        XCTAssertFalse(try DelEdgeRequest.parse("13 1 alpha b!").namesAreValid)
    }

    // MARK: - Keys

    func testKeyChangedRoundTrip() throws {
        let line = "14 7b alpha"
        let request = try KeyChangedRequest.parse(Substring(line))
        XCTAssertEqual(request, KeyChangedRequest(nonce: 0x7b, name: "alpha"))
        XCTAssertEqual(request.line, line)
    }

    func testReqKeyRoundTrip() throws {
        let line = "15 alpha beta"
        let request = try ReqKeyRequest.parse(Substring(line))
        XCTAssertEqual(request, ReqKeyRequest(from: "alpha", to: "beta"))
        XCTAssertEqual(request.line, line)
    }

    func testAnsKeyParse() throws {
        let request = try AnsKeyRequest.parse("16 alpha beta 0123ABCD 427 672 4 0")
        XCTAssertEqual(request, AnsKeyRequest(from: "alpha", to: "beta", key: "0123ABCD", cipher: 427,
                                              digest: 672, macLength: 4, compression: 0))
        XCTAssertNil(request.address)
        XCTAssertNil(request.port)
    }

    func testAnsKeyFormat() {
        let request = AnsKeyRequest(from: "alpha", to: "beta", key: "0123ABCD", cipher: 427, digest: 672,
                                    macLength: 4, compression: 0)
        XCTAssertEqual(request.line, "16 alpha beta 0123ABCD 427 672 4 0")
    }

    func testAnsKeyWithReflexiveAddress() throws {
        let line = "16 alpha beta 0123ABCD 427 672 4 0 192.0.2.1 655"
        let request = try AnsKeyRequest.parse(Substring(line))
        XCTAssertEqual(request.address, "192.0.2.1")
        XCTAssertEqual(request.port, "655")
        XCTAssertEqual(request.line, line)
    }

    func testAnsKeyAddressWithoutPort() throws {
        let line = "16 alpha beta 0123ABCD 427 672 4 0 192.0.2.1"
        let request = try AnsKeyRequest.parse(Substring(line))
        XCTAssertEqual(request.address, "192.0.2.1")
        XCTAssertNil(request.port)
        XCTAssertEqual(request.line, line)
    }

    func testAnsKeyMissingCompression() {
        XCTAssertThrowsError(try AnsKeyRequest.parse("16 alpha beta 0123ABCD 427 672 4")) { error in
            XCTAssertEqual(error as? ProtocolError,
                           ProtocolError(request: .ansKey, field: "compression", reason: .missing))
        }
    }

    func testAnsKeyForwardingLine() {
        XCTAssertEqual(AnsKeyRequest.forwardingLine("16 alpha beta 0123ABCD 427 672 4 0",
                                                    address: "192.0.2.1", port: "655"),
                       "16 alpha beta 0123ABCD 427 672 4 0 192.0.2.1 655")
    }

    // MARK: - Failable parsing

    func testFailableParseAccepts() {
        XCTAssertEqual(IDRequest(parsing: "0 alpha 17"), IDRequest(name: "alpha"))
    }

    func testFailableParseRejects() {
        XCTAssertNil(IDRequest(parsing: "0 alpha"))
    }

    // MARK: - Nonce

    func testNonceInRandRange() {
        for _ in 0..<1000 {
            XCTAssertLessThanOrEqual(AddEdgeRequest.nonce(), UInt32(Int32.max))
        }
    }

    func testNonceDefaultsDiffer() {
        // Two draws from 2^31 values collide with probability 2^-31 per pair; ten pairs make a
        // false failure negligible.
        let nonces = Set((0..<10).map { _ in KeyChangedRequest(name: "alpha").nonce })
        XCTAssertGreaterThan(nonces.count, 1)
    }
}
