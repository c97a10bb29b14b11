import XCTest
import TincBase
@testable import TincConfig

final class ConfigTests: XCTestCase {
    private func makeConfig(_ pairs: [(String, String)], file: String? = "/etc/tinc/tinc.conf") -> Config {
        let entries = pairs.enumerated().map { index, pair in
            ConfigEntry(variable: pair.0, value: pair.1, file: file, line: index + 1)
        }
        return Config(entries: entries)
    }

    private func thrownError(_ body: () throws -> Void) -> ConfigError? {
        do {
            try body()
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    // MARK: - Lookup order

    func testLookupPutsCommandLineFirst() {
        var config = makeConfig([("Port", "655")])
        config.merge(Config(entries: [ConfigEntry(variable: "port", value: "1", file: nil, line: 7)]))
        XCTAssertEqual(config.all("Port").map(\.value), ["1", "655"])
    }

    func testLookupOrdersByLineBeforeFile() {
        // tinc's config_compare compares line numbers before file names.
        let config = Config(entries: [
            ConfigEntry(variable: "ConnectTo", value: "z-line5", file: "/c/tinc.conf", line: 5),
            ConfigEntry(variable: "ConnectTo", value: "b-line2", file: "/c/conf.d/b.conf", line: 2),
            ConfigEntry(variable: "ConnectTo", value: "a-line2", file: "/c/conf.d/a.conf", line: 2),
        ])
        XCTAssertEqual(config.all("connectto").map(\.value), ["a-line2", "b-line2", "z-line5"])
    }

    func testLookupMissingVariable() {
        let config = makeConfig([("Port", "655")])
        XCTAssertNil(config.first("Name"))
        XCTAssertNil(config.string("Name"))
        XCTAssertEqual(config.all("Name"), [])
    }

    func testMergeDropsEqualKeys() {
        var config = makeConfig([("Port", "655")])
        config.merge(makeConfig([("PORT", "1")]))
        XCTAssertEqual(config.all("Port").map(\.value), ["655"])
    }

    // MARK: - get_config_bool

    func testBoolAcceptsYesAndNoInAnyCase() throws {
        let cases: [(String, Bool)] = [("yes", true), ("YES", true), ("Yes", true), ("no", false), ("NO", false)]
        for (value, expected) in cases {
            XCTAssertEqual(try makeConfig([("TCPOnly", value)]).bool("TCPOnly"), expected, value)
        }
    }

    func testBoolUnsetIsNil() throws {
        XCTAssertNil(try makeConfig([]).bool("TCPOnly"))
    }

    func testBoolErrorNamesValue() {
        let config = makeConfig([("Port", "1"), ("TCPOnly", "maybe")])
        let error = thrownError { _ = try config.bool("TCPOnly") }
        XCTAssertEqual(error?.kind, .invalidBool)
        XCTAssertEqual(error?.description,
                       "\"yes\" or \"no\" expected for configuration variable TCPOnly in /etc/tinc/tinc.conf line 2, got \"maybe\"")
    }

    func testBoolErrorForCommandLineOption() {
        let config = makeConfig([("TCPOnly", "1")], file: nil)
        let error = thrownError { _ = try config.bool("TCPOnly") }
        XCTAssertEqual(error?.description,
                       "\"yes\" or \"no\" expected for configuration variable TCPOnly in command line option 1, got \"1\"")
    }

    // MARK: - get_config_int

    func testIntReadsLeadingInteger() throws {
        let cases: [(String, Int)] = [
            ("655", 655), ("-5", -5), ("+7", 7), (" 12", 12), ("12abc", 12), ("0x10", 0), ("4294967297", 1),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(try makeConfig([("Port", value)]).int("Port"), expected, value)
        }
    }

    func testIntUnsetIsNil() throws {
        XCTAssertNil(try makeConfig([]).int("PingInterval"))
    }

    func testIntErrorNamesValue() {
        let config = makeConfig([("PingInterval", "soon")])
        let error = thrownError { _ = try config.int("PingInterval") }
        XCTAssertEqual(error?.kind, .invalidInteger)
        XCTAssertEqual(error?.description,
                       "Integer expected for configuration variable PingInterval in /etc/tinc/tinc.conf line 1, got \"soon\"")
        XCTAssertEqual(error?.line, 1)
    }

    // MARK: - get_config_subnet

    func testSubnetsInLookupOrder() throws {
        let subnets = try makeConfig([("Subnet", "10.0.0.0/8"), ("Subnet", "fe80::/64#5")]).subnets()
        XCTAssertEqual(subnets.map(\.protocolString), ["10.0.0.0/8#10", "fe80:0:0:0:0:0:0:0/64#5"])
    }

    func testSubnetsRejectHostBits() {
        let config = makeConfig([("Subnet", "10.0.0.1/24")])
        let error = thrownError { _ = try config.subnets() }
        XCTAssertEqual(error?.kind, .subnetHostBits)
        XCTAssertEqual(error?.description,
                       "Network address and prefix length do not match for configuration variable Subnet in /etc/tinc/tinc.conf line 1, got \"10.0.0.1/24\"")
    }

    func testSubnetsRejectInvalidValue() {
        let config = makeConfig([("Subnet", "10.0.0.0/8"), ("Subnet", "10.0.0.0/33")])
        let error = thrownError { _ = try config.subnets() }
        XCTAssertEqual(error?.kind, .invalidSubnet)
        XCTAssertEqual(error?.description,
                       "Subnet expected for configuration variable Subnet in /etc/tinc/tinc.conf line 2, got \"10.0.0.0/33\"")
    }
}
