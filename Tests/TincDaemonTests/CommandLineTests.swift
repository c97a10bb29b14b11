import XCTest
@testable import TincDaemon

final class CommandLineTests: XCTestCase {
    private func parse(_ arguments: [String]) -> TincdArguments? {
        try? TincdArguments.parse(arguments).get()
    }

    func testConfigAndNoDetach() throws {
        let arguments = try XCTUnwrap(parse(["-c", "/etc/tinc/x", "-D"]))
        XCTAssertEqual(arguments.configDirectory, "/etc/tinc/x")
        XCTAssertFalse(arguments.detach)
    }

    func testDebugLevelCountsRepeats() throws {
        let arguments = try XCTUnwrap(parse(["-d", "-d", "-D"]))
        XCTAssertEqual(arguments.debugLevel, 2)
    }

    func testDebugLevelAttached() throws {
        XCTAssertEqual(parse(["-d5"])?.debugLevel, 5)
    }

    func testDebugLevelAsNextWord() throws {
        XCTAssertEqual(parse(["-d", "3"])?.debugLevel, 3)
    }

    func testLongDebugWithValue() throws {
        XCTAssertEqual(parse(["--debug=4"])?.debugLevel, 4)
    }

    func testGenerateKeysDefaultBits() throws {
        XCTAssertEqual(parse(["-K"])?.generateKeyBits, 2048)
    }

    func testGenerateKeysRoundsToBytes() throws {
        XCTAssertEqual(parse(["-K4099"])?.generateKeyBits, 4096)
    }

    func testGenerateKeysRejectsSmallKeys() {
        guard case .failure(let error) = TincdArguments.parse(["-K256"]) else {
            return XCTFail("-K256 was accepted")
        }
        XCTAssertEqual(error.message, "Invalid argument `256'; BITS must be a number equal to or greater than 512.")
    }

    func testKillWithoutSignalIsTerm() throws {
        XCTAssertEqual(parse(["-k"])?.killSignal, SIGTERM)
    }

    func testKillWithSignalName() throws {
        XCTAssertEqual(parse(["-k", "HUP"])?.killSignal, SIGHUP)
    }

    func testKillRejectsUnknownSignal() {
        guard case .failure = TincdArguments.parse(["--kill=BOGUS"]) else {
            return XCTFail("--kill=BOGUS was accepted")
        }
    }

    func testNetnameGivesIdentAndPidFile() throws {
        let arguments = try XCTUnwrap(parse(["-n", "vpn"]))
        XCTAssertEqual(arguments.identName, "tinc.vpn")
        XCTAssertEqual(arguments.resolvedPidFile, "/run/tinc.vpn.pid")
    }

    func testNetnameDotMeansNone() throws {
        XCTAssertNil(parse(["-n", "."])?.netname)
    }

    func testOptionsKeepOrder() throws {
        XCTAssertEqual(parse(["-o", "Port=656", "--option=alpha.Address=10.0.0.1"])?.options,
                       ["Port=656", "alpha.Address=10.0.0.1"])
    }

    func testLogfileWithoutName() throws {
        let arguments = try XCTUnwrap(parse(["--logfile", "-D"]))
        XCTAssertEqual(arguments.resolvedLogFile, "/var/log/tinc.log")
    }

    func testLogfileWithName() throws {
        XCTAssertEqual(parse(["--logfile=/tmp/x.log"])?.resolvedLogFile, "/tmp/x.log")
    }

    func testSecondConfigDirectoryRejected() {
        guard case .failure(let error) = TincdArguments.parse(["-c", "a", "-c", "b"]) else {
            return XCTFail("two -c options were accepted")
        }
        XCTAssertEqual(error.message, "Only one configuration directory can be given.")
    }

    func testStrayArgumentRejected() {
        guard case .failure = TincdArguments.parse(["extra"]) else {
            return XCTFail("a stray argument was accepted")
        }
    }
}
