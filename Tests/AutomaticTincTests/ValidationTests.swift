import Etcd
import XCTest
@testable import AutomaticTinc

final class ValidationTests: XCTestCase {
    private let prefix = "/tinc-vpn.org/testnet/configs/"

    private func validate(_ name: String, _ value: String) -> Result<PeerHostFile, InvalidHostFile> {
        HostFileValidation.validate(EtcdKeyValue(key: prefix + name, value: value, modifiedRevision: 42),
                                    configsPrefix: prefix)
    }

    private func assertRejected(_ name: String, _ value: String, reason expected: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        switch validate(name, value) {
        case .success:
            XCTFail("\(name) was accepted", file: file, line: line)
        case .failure(let rejection):
            XCTAssertEqual(rejection.key, prefix + name, file: file, line: line)
            XCTAssertTrue(rejection.reason.contains(expected), "\"\(rejection.reason)\" does not mention \(expected)",
                          file: file, line: line)
        }
    }

    func testGoodHostFile() throws {
        let text = peerHostFile()
        let peer = try validate("beta", text).get()
        XCTAssertEqual(peer, PeerHostFile(name: "beta", text: text, revision: 42))
    }

    func testHostFileWrittenByHandIsAccepted() throws {
        let text = "Address = peer.example.org 656\nSubnet = 10.1.0.0/16\nSubnet = fd00::/64#5\nCompression = 9\n"
            + TestKeys.secondPEM
        XCTAssertNoThrow(try validate("hand_written", text).get())
    }

    func testBadName() {
        assertRejected("bad-name", peerHostFile(), reason: "node name")
        assertRejected("a/b", peerHostFile(), reason: "node name")
        assertRejected("", peerHostFile(), reason: "node name")
    }

    func testTooBig() {
        let padding = String(repeating: "# padding\n", count: 1700)
        assertRejected("beta", peerHostFile() + padding, reason: "maximum 16384")
    }

    func testNoKey() {
        assertRejected("beta", "Address = 192.0.2.1\nSubnet = 172.16.0.2/32\n", reason: "RSA public key")
    }

    func testBrokenKey() {
        let broken = peerHostFile().replacingOccurrences(of: "MI", with: "XX")
        assertRejected("beta", broken, reason: "RSA public key")
    }

    func testBadSubnet() {
        assertRejected("beta", peerHostFile().replacingOccurrences(of: "172.16.0.2/32", with: "172.16.0.2/24"),
                       reason: "Network address and prefix length do not match")
        assertRejected("beta", peerHostFile().replacingOccurrences(of: "172.16.0.2/32", with: "nonsense"),
                       reason: "Subnet expected")
    }

    func testNoAddress() {
        assertRejected("beta", "Subnet = 172.16.0.2/32\n" + TestKeys.firstPEM, reason: "no Address")
    }

    func testNotAHostFile() {
        assertRejected("beta", "Address\n" + TestKeys.firstPEM, reason: "not a tinc host file")
    }

    func testRejectionReportedOncePerRevision() {
        var log = RejectionLog()
        XCTAssertTrue(log.shouldReport("k", revision: 1))
        XCTAssertFalse(log.shouldReport("k", revision: 1))
        XCTAssertTrue(log.shouldReport("k", revision: 2))
        XCTAssertTrue(log.shouldReport("other", revision: 2))
        log.forget("k")
        XCTAssertTrue(log.shouldReport("k", revision: 2))
    }
}
