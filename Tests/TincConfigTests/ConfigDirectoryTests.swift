#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
import TincBase
@testable import TincConfig

final class ConfigDirectoryTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "tinc-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/hosts", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func write(_ relativePath: String, _ text: String) throws {
        let path = root + "/" + relativePath
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    private func options(_ texts: [String]) throws -> [(host: String?, entry: ConfigEntry)] {
        try texts.enumerated().map { try ConfigParser.parseOption($1, index: $0 + 1) }
    }

    // MARK: - Directory choice

    func testResolveDirectory() {
        let cases: [(configDir: String?, netname: String?, expected: String)] = [
            ("/srv/vpn", nil, "/srv/vpn"),
            ("/srv/vpn", "office", "/srv/vpn"),
            (nil, "office", "/etc/tinc/office"),
            (nil, nil, "/etc/tinc"),
            (nil, ".", "/etc/tinc"),
        ]
        for (configDir, netname, expected) in cases {
            let directory = ConfigDirectory.resolve(configDir: configDir, netname: netname)
            XCTAssertEqual(directory.path, expected, "-c \(configDir ?? "-") -n \(netname ?? "-")")
        }
    }

    func testDirectoryPaths() {
        let directory = ConfigDirectory(path: "/etc/tinc/office")
        XCTAssertEqual(directory.tincConf, "/etc/tinc/office/tinc.conf")
        XCTAssertEqual(directory.hostFile("alice"), "/etc/tinc/office/hosts/alice")
    }

    // MARK: - Server config

    func testServerConfigReadsConfD() throws {
        try write("tinc.conf", "Name = alice\nConnectTo = bob\n\n\nConnectTo = dave\n")
        try write("conf.d/extra.conf", "# extra\nConnectTo = carol\n")
        try write("conf.d/ignored.txt", "ConnectTo = nobody\n")
        try write("conf.d/.conf", "ConnectTo = nobody\n")

        let config = try ConfigDirectory(path: root).readServerConfig(options: [])
        // Line 2 of extra.conf and line 2 of tinc.conf tie on line, so the file names decide.
        XCTAssertEqual(config.all("ConnectTo").map(\.value), ["carol", "bob", "dave"])
    }

    func testServerConfigOptionsOverride() throws {
        try write("tinc.conf", "Name = alice\nPort = 655\n")
        let options = try options(["Port=1000", "alice.Port=2000", "bob.Subnet=10.0.0.0/8"])

        let config = try ConfigDirectory(path: root).readServerConfig(options: options)
        XCTAssertEqual(config.string("Port"), "1000")
        XCTAssertEqual(config.all("Port").map(\.value), ["1000", "655"])
        XCTAssertEqual(config.all("Subnet"), [])
    }

    func testServerConfigMissingTincConf() {
        let directory = ConfigDirectory(path: root)
        XCTAssertThrowsError(try directory.readServerConfig(options: [])) { error in
            XCTAssertEqual((error as? ConfigError)?.description,
                           "Cannot open config file \(root)/tinc.conf: No such file or directory")
        }
    }

    func testServerConfigConfDirectoryEntryFails() throws {
        // tincd opens "x.conf" even when it is a directory, and then fails to read it.
        try write("tinc.conf", "Name = alice\n")
        try FileManager.default.createDirectory(atPath: root + "/conf.d/dir.conf", withIntermediateDirectories: true)
        XCTAssertThrowsError(try ConfigDirectory(path: root).readServerConfig(options: [])) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .unreadableFile)
        }
    }

    func testServerConfigErrorNamesConfDFile() throws {
        try write("tinc.conf", "Name = alice\n")
        try write("conf.d/bad.conf", "Port\n")
        XCTAssertThrowsError(try ConfigDirectory(path: root).readServerConfig(options: [])) { error in
            XCTAssertEqual((error as? ConfigError)?.description,
                           "No value for variable `Port' on line 1 while reading config file \(root)/conf.d/bad.conf")
        }
    }

    // MARK: - Host config

    func testHostConfigAppliesHostOptions() throws {
        try write("hosts/alice", "Address = 192.0.2.1\nPort = 655\n")
        let options = try options(["Port=1000", "alice.Port=2000", "bob.Port=3000"])

        let config = try ConfigDirectory(path: root).readHostConfig("alice", options: options)
        XCTAssertEqual(config.all("Port").map(\.value), ["2000", "655"])
        XCTAssertEqual(config.string("Address"), "192.0.2.1")
    }

    func testHostConfigPrefixIsCaseSensitive() throws {
        try write("hosts/alice", "Port = 655\n")
        let options = try options(["ALICE.Port=2000"])
        let config = try ConfigDirectory(path: root).readHostConfig("alice", options: options)
        XCTAssertEqual(config.string("Port"), "655")
    }

    func testHostConfigRejectsPathInName() {
        XCTAssertThrowsError(try ConfigDirectory(path: root).readHostConfig("../tinc.conf", options: [])) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .invalidName)
        }
    }

    func testHostConfigWithKey() throws {
        try write("hosts/bob", """
            Subnet = 10.2.0.0/16
            -----BEGIN RSA PUBLIC KEY-----
            MIIBCgKCAQEA0Xb4Zp1R2sI3s+ZkT4S9oG8wRkQm0u6f2kP4e1c7Gq0w3fH2rJ1y
            -----END RSA PUBLIC KEY-----
            """)
        let config = try ConfigDirectory(path: root).readHostConfig("bob", options: [])
        XCTAssertEqual(try config.subnets().map(\.protocolString), ["10.2.0.0/16#10"])
        XCTAssertEqual(config.entries.count, 1)
    }

    // MARK: - Name

    func testNameLiteral() throws {
        XCTAssertEqual(try ConfigDirectory.resolveName("alice"), "alice")
    }

    func testNameRejectsInvalidLiteral() {
        XCTAssertThrowsError(try ConfigDirectory.resolveName("alice-1")) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .invalidName)
            XCTAssertTrue("\(error)".contains("alice-1"), "\(error)")
        }
    }

    func testNameExpandsHostEnvironment() throws {
        try withEnvironment("HOST", "gateway-1.example.org") {
            XCTAssertEqual(try ConfigDirectory.resolveName("$HOST"), "gateway_1_example_org")
        }
    }

    func testNameExpandsOtherVariable() throws {
        try withEnvironment("TINC_TEST_NODE_NAME", "node.7") {
            XCTAssertEqual(try ConfigDirectory.resolveName("$TINC_TEST_NODE_NAME"), "node_7")
        }
    }

    func testNameMissingVariable() {
        XCTAssertThrowsError(try ConfigDirectory.resolveName("$TINC_TEST_UNSET_VARIABLE")) { error in
            XCTAssertEqual((error as? ConfigError)?.description,
                           "Invalid Name: environment variable TINC_TEST_UNSET_VARIABLE does not exist")
        }
    }

    func testNameHostFallsBackToHostname() throws {
        let name = try ConfigDirectory.resolveName("$HOST", environment: { _ in nil }, hostname: { "box-1.lan" })
        XCTAssertEqual(name, "box_1_lan")
    }

    func testNameHostUsesSystemHostname() throws {
        try withEnvironment("HOST", nil) {
            guard let hostname = try? ConfigDirectory.systemHostname() else {
                XCTAssertThrowsError(try ConfigDirectory.resolveName("$HOST"))
                return
            }
            XCTAssertEqual(try ConfigDirectory.resolveName("$HOST"), NodeName.sanitize(hostname))
        }
    }

    /// Runs `body` with environment variable `name` set to `value` (or unset for nil), then
    /// restores it. XCTest on Linux runs tests one at a time, so the change is not seen by others.
    private func withEnvironment(_ name: String, _ value: String?, _ body: () throws -> Void) throws {
        let saved = getenv(name).map { String(cString: $0) }
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
        defer {
            if let saved { setenv(name, saved, 1) } else { unsetenv(name) }
        }
        try body()
    }
}
