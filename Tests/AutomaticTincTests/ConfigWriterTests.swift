import Foundation
import TincConfig
import XCTest
@testable import AutomaticTinc

final class ConfigWriterTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory() + "/net"
    }

    override func tearDown() {
        removeTemporaryDirectory((directory as NSString).deletingLastPathComponent)
    }

    private func files(port: Int = 655, connectTo: [String] = ["beta", "gamma"]) -> NodeFiles {
        NodeFiles(name: "alpha", interface: "tun0", port: port, vpnAddress: IPv4Address("172.16.0.1")!,
                  network: IPv4Network("172.16.0.0/13")!, connectTo: connectTo)
    }

    func testTincConfText() {
        XCTAssertEqual(files().renderTincConf(), """
            # Written by automatic-tinc, which overwrites changes.
            Name = alpha
            Interface = tun0
            ConnectTo = beta
            ConnectTo = gamma

            """)
    }

    func testTincConfWithPort() {
        XCTAssertEqual(files(port: 700, connectTo: []).renderTincConf(), """
            # Written by automatic-tinc, which overwrites changes.
            Name = alpha
            Interface = tun0
            Port = 700

            """)
    }

    func testTincUpText() {
        XCTAssertEqual(files().renderTincUp(), """
            #!/bin/sh
            # Written by automatic-tinc, which overwrites changes.
            ip link set "$INTERFACE" up
            ip addr add 172.16.0.1/13 dev "$INTERFACE"

            """)
    }

    func testTincDownText() {
        XCTAssertEqual(files().renderTincDown(), """
            #!/bin/sh
            # Written by automatic-tinc, which overwrites changes.
            ip addr del 172.16.0.1/13 dev "$INTERFACE"
            ip link set "$INTERFACE" down

            """)
    }

    func testHostFileText() {
        let pem = "-----BEGIN RSA PUBLIC KEY-----\nMIIB\n-----END RSA PUBLIC KEY-----\n"
        let host = HostFile(publicAddress: "203.0.113.5", vpnAddress: IPv4Address("172.16.0.1")!, port: 655, publicKeyPEM: pem)
        XCTAssertEqual(host.render(), """
            Address = 203.0.113.5
            Subnet = 172.16.0.1/32

            -----BEGIN RSA PUBLIC KEY-----
            MIIB
            -----END RSA PUBLIC KEY-----

            """)
        var withPort = host
        withPort.port = 1655
        XCTAssertEqual(withPort.render(), """
            Address = 203.0.113.5
            Subnet = 172.16.0.1/32
            Port = 1655

            -----BEGIN RSA PUBLIC KEY-----
            MIIB
            -----END RSA PUBLIC KEY-----

            """)
    }

    func testRenderedHostFilePassesValidation() {
        let text = peerHostFile()
        let prefix = "/tinc-vpn.org/n/configs/"
        let result = HostFileValidation.validate(.init(key: prefix + "beta", value: text, modifiedRevision: 1), configsPrefix: prefix)
        XCTAssertNoThrow(try result.get())
    }

    func testWritesDirectoryTincdCanRead() throws {
        let writer = ConfigWriter(directory: directory)
        try writer.prepare()
        try writer.writeNodeFiles(files())
        try writer.writeHost("alpha", text: peerHostFile(vpn: "172.16.0.1"))

        XCTAssertEqual(try fileMode(directory + "/tinc-up"), 0o755)
        XCTAssertEqual(try fileMode(directory + "/tinc-down"), 0o755)
        XCTAssertEqual(try fileMode(directory + "/tinc.conf"), 0o644)

        let config = try ConfigDirectory(path: directory).readServerConfig(options: [])
        XCTAssertEqual(config.string("Name"), "alpha")
        XCTAssertEqual(config.all("ConnectTo").map(\.value), ["beta", "gamma"])
        let host = try ConfigDirectory(path: directory).readHostConfig("alpha", options: [])
        XCTAssertEqual(try host.subnets().map(\.description), ["172.16.0.1/32#10"])
    }

    func testWriteOnlyOnChange() throws {
        let path = directory + "/file"
        try FileIO.makeDirectories(directory, mode: 0o755)
        XCTAssertTrue(try FileIO.writeIfChanged(path, contents: "one\n", mode: 0o644))
        let old = Date(timeIntervalSince1970: 1_000_000)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: path)

        XCTAssertFalse(try FileIO.writeIfChanged(path, contents: "one\n", mode: 0o644))
        let unchanged = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        XCTAssertEqual(unchanged, old)

        XCTAssertTrue(try FileIO.writeIfChanged(path, contents: "two\n", mode: 0o644))
        let changed = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        XCTAssertNotEqual(changed, old)
        XCTAssertEqual(readText(path), "two\n")
    }

    func testModeChangeWithoutContentChange() throws {
        let path = directory + "/script"
        try FileIO.makeDirectories(directory, mode: 0o755)
        try FileIO.writeIfChanged(path, contents: "x", mode: 0o644)
        XCTAssertTrue(try FileIO.writeIfChanged(path, contents: "x", mode: 0o755))
        XCTAssertEqual(try fileMode(path), 0o755)
    }

    func testWriteLeavesNoTemporaryFile() throws {
        try FileIO.makeDirectories(directory, mode: 0o755)
        try FileIO.writeIfChanged(directory + "/a", contents: "x", mode: 0o600)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["a"])
        XCTAssertEqual(try fileMode(directory + "/a"), 0o600)
    }

    func testHostNamesSkipOtherFiles() throws {
        let writer = ConfigWriter(directory: directory)
        try writer.prepare()
        try writer.writeHost("beta", text: "x")
        try "y".write(toFile: writer.hostsDirectory + "/beta.tmp.12", atomically: false, encoding: .utf8)
        XCTAssertEqual(try writer.hostNames(), ["beta"])
    }

    func testKeyGeneratedOnceAndKept() throws {
        try FileIO.makeDirectories(directory, mode: 0o755)
        let path = directory + "/rsa_key.priv"
        let first = try NodeKey.loadOrGenerate(path: path, bits: 1024)
        XCTAssertEqual(try fileMode(path), 0o600)
        let second = try NodeKey.loadOrGenerate(path: path, bits: 1024)
        XCTAssertTrue(first.matches(second))
    }

    func testBrokenKeyFileIsNotReplaced() throws {
        try FileIO.makeDirectories(directory, mode: 0o755)
        let path = directory + "/rsa_key.priv"
        try "not a key".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try NodeKey.loadOrGenerate(path: path, bits: 1024))
        XCTAssertEqual(readText(path), "not a key")
    }
}
