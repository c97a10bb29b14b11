import Foundation
import XCTest
@testable import TincConfig

final class ConfigParserTests: XCTestCase {
    private let file = "/etc/tinc/test/tinc.conf"

    private func parse(_ text: String) throws -> Config {
        try ConfigParser.parse(text: text, file: file)
    }

    private func parseError(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    // MARK: - Separators

    func testParserSeparators() throws {
        let cases: [(line: String, variable: String, value: String)] = [
            ("Port = 655", "Port", "655"),
            ("Port=655", "Port", "655"),
            ("Port 655", "Port", "655"),
            ("Port\t655", "Port", "655"),
            ("Port\t=\t655", "Port", "655"),
            ("Port =655", "Port", "655"),
            ("Port= 655", "Port", "655"),
            ("Port  =  655  \t", "Port", "655"),
            ("Address = 10.0.0.1 656", "Address", "10.0.0.1 656"),
            ("Port==655", "Port", "=655"),
            ("Port = = 655", "Port", "= 655"),
        ]
        for (line, variable, value) in cases {
            let entries = try parse(line).entries
            XCTAssertEqual(entries, [ConfigEntry(variable: variable, value: value, file: file, line: 1)], line)
        }
    }

    func testParserNamesAreCaseInsensitive() throws {
        let config = try parse("pOrT = 655\n")
        XCTAssertEqual(config.string("Port"), "655")
        XCTAssertEqual(config.string("PORT"), "655")
        XCTAssertEqual(config.first("port")?.variable, "pOrT")
    }

    // MARK: - Lines

    func testParserSkipsCommentsAndBlankLines() throws {
        let config = try parse("# comment\n\nPort = 655\n#Name = x\n")
        XCTAssertEqual(config.entries, [ConfigEntry(variable: "Port", value: "655", file: file, line: 3)])
    }

    func testParserHandlesCRLF() throws {
        let config = try parse("Port = 655\r\nName = alice\r\n")
        XCTAssertEqual(config.string("Port"), "655")
        XCTAssertEqual(config.first("Name"), ConfigEntry(variable: "Name", value: "alice", file: file, line: 2))
    }

    func testParserReadsLastLineWithoutNewline() throws {
        let config = try parse("Name = alice\nPort = 655")
        XCTAssertEqual(config.first("Port"), ConfigEntry(variable: "Port", value: "655", file: file, line: 2))
    }

    func testParserReadsEmptyText() throws {
        XCTAssertEqual(try parse("").entries, [])
    }

    func testParserKeepsDuplicatesInOrder() throws {
        let config = try parse("ConnectTo = bob\nConnectTo = carol\nconnectto = dave\n")
        XCTAssertEqual(config.all("ConnectTo").map(\.value), ["bob", "carol", "dave"])
    }

    func testParserSkipsPEMBlockInHostFile() throws {
        let host = """
            Address = 192.0.2.1
            Subnet = 10.1.0.0/16
            -----BEGIN RSA PUBLIC KEY-----
            MIIBCgKCAQEA0Xb4Zp1R2sI3s+ZkT4S9oG8wRkQm0u6f2kP4e1c7Gq0w3fH2rJ1y
            Port = 1
            -----END RSA PUBLIC KEY-----
            Port = 656

            """
        let config = try parse(host)
        XCTAssertEqual(config.entries.map(\.variable), ["Address", "Subnet", "Port"])
        XCTAssertEqual(config.first("Port"), ConfigEntry(variable: "Port", value: "656", file: file, line: 7))
    }

    func testParserStoresIndentedLineUnderEmptyName() throws {
        // tinc does not skip leading blanks, so the variable name is "" and lookups miss it.
        let config = try parse("  Port = 655\n")
        XCTAssertNil(config.first("Port"))
        XCTAssertEqual(config.entries.first?.variable, "")
        XCTAssertEqual(config.entries.first?.value, "Port = 655")
    }

    func testParserSplitsLinesLongerThanBuffer() throws {
        // fgets returns the first 2048 bytes as one line and the rest as the next.
        let long = "X = " + String(repeating: "a", count: 2044) + "Port 655\nName = b\n"
        let config = try parse(long)
        XCTAssertEqual(config.first("X")?.value.utf8.count, 2044)
        XCTAssertEqual(config.first("Port"), ConfigEntry(variable: "Port", value: "655", file: file, line: 2))
        XCTAssertEqual(config.first("Name")?.line, 3)
    }

    func testParserKeepsLineOf2047Bytes() throws {
        let value = String(repeating: "v", count: 2041)
        let config = try parse("Key = \(value)\nName = b\n")
        XCTAssertEqual(config.first("Key")?.value, value)
        XCTAssertEqual(config.first("Name")?.line, 2)
    }

    // MARK: - Errors

    func testParserMissingValueNamesFileAndLine() {
        let error = parseError("Port = 655\n\nName\n")
        XCTAssertEqual(error?.kind, .missingValue)
        XCTAssertEqual(error?.description,
                       "No value for variable `Name' on line 3 while reading config file /etc/tinc/test/tinc.conf")
        XCTAssertEqual(error?.line, 3)
        XCTAssertEqual(error?.file, file)
    }

    func testParserMissingValueAfterEquals() {
        let error = parseError("Port =  \n")
        XCTAssertEqual(error?.description,
                       "No value for variable `Port' on line 1 while reading config file /etc/tinc/test/tinc.conf")
    }

    func testParserRejectsLineOfBlanks() {
        XCTAssertEqual(parseError("Port = 1\n \t \n")?.kind, .missingValue)
    }

    // MARK: - Command-line options

    func testOptionForms() throws {
        for option in ["Port=655", "Port 655", "Port = 655", "Port\t655  "] {
            let parsed = try ConfigParser.parseOption(option, index: 2)
            XCTAssertNil(parsed.host, option)
            XCTAssertEqual(parsed.entry, ConfigEntry(variable: "Port", value: "655", file: nil, line: 2), option)
        }
    }

    func testOptionWithHostPrefix() throws {
        let parsed = try ConfigParser.parseOption("alice.Subnet=10.0.0.0/8", index: 1)
        XCTAssertEqual(parsed.host, "alice")
        XCTAssertEqual(parsed.entry, ConfigEntry(variable: "Subnet", value: "10.0.0.0/8", file: nil, line: 1))
    }

    func testOptionMissingValueNamesOption() {
        XCTAssertThrowsError(try ConfigParser.parseOption("Port", index: 4)) { error in
            XCTAssertEqual((error as? ConfigError)?.description, "No value for variable `Port' in command line option 4")
        }
    }

    // MARK: - Files

    func testReadMissingFileFails() {
        let path = NSTemporaryDirectory() + "/no-such-dir-\(UUID().uuidString)/tinc.conf"
        XCTAssertThrowsError(try ConfigParser.read(file: path)) { error in
            XCTAssertEqual((error as? ConfigError)?.description,
                           "Cannot open config file \(path): No such file or directory")
        }
    }
}
