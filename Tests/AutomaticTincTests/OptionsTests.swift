import Etcd
import XCTest
@testable import AutomaticTinc

final class OptionsTests: XCTestCase {
    private func parse(_ arguments: [String], _ environment: [String: String] = [:]) throws -> AutomaticTincOptions {
        try AutomaticTincOptions.parse(arguments: arguments, environment: environment)
    }

    private func assertRejected(_ arguments: [String], _ environment: [String: String] = [:], mentions expected: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(arguments, environment), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(expected), "\"\(message)\" does not mention \(expected)", file: file, line: line)
        }
    }

    func testDefaults() throws {
        let options = try parse([])
        XCTAssertEqual(options.command, .run)
        XCTAssertEqual(options.network, "automatic-tinc")
        XCTAssertEqual(options.subnet.description, "172.16.0.0/13")
        XCTAssertEqual(options.etcdEndpoints, ["http://127.0.0.1:4001"])
        XCTAssertEqual(options.etcdAPI, .auto)
        XCTAssertNil(options.etcdCAFile)
        XCTAssertNil(options.etcdUsername)
        XCTAssertNil(options.nodeName)
        XCTAssertNil(options.publicAddress)
        XCTAssertEqual(options.configRoot, "/etc/tinc")
        XCTAssertEqual(options.configDirectory, "/etc/tinc/automatic-tinc")
        XCTAssertEqual(options.port, 655)
        XCTAssertEqual(options.keyBits, 4096)
        XCTAssertEqual(options.connectTo, 3)
        XCTAssertEqual(options.interface, "tun0")
        XCTAssertEqual(options.debugLevel, 0)
    }

    func testEveryFlag() throws {
        let options = try parse([
            "--network", "office", "--subnet=10.8.0.0/16", "--etcd", "http://127.0.0.1:2379, https://127.0.0.2:2379",
            "--etcd-api", "v3", "--etcd-ca", "/ca.pem", "--etcd-cert", "/c.pem", "--etcd-key", "/k.pem",
            "--etcd-user", "root", "--etcd-password", "secret", "--name", "alpha", "--public-address", "203.0.113.7",
            "--config-root", "/srv/tinc", "--port", "656", "--key-bits", "2048", "--connect-to", "2",
            "--interface", "vpn0", "-d3",
        ])
        XCTAssertEqual(options.network, "office")
        XCTAssertEqual(options.subnet, IPv4Network("10.8.0.0/16"))
        XCTAssertEqual(options.etcdEndpoints, ["http://127.0.0.1:2379", "https://127.0.0.2:2379"])
        XCTAssertEqual(options.etcdAPI, .v3)
        XCTAssertEqual(options.etcdCAFile, "/ca.pem")
        XCTAssertEqual(options.etcdCertFile, "/c.pem")
        XCTAssertEqual(options.etcdKeyFile, "/k.pem")
        XCTAssertEqual(options.etcdUsername, "root")
        XCTAssertEqual(options.etcdPassword, "secret")
        XCTAssertEqual(options.nodeName, "alpha")
        XCTAssertEqual(options.publicAddress, "203.0.113.7")
        XCTAssertEqual(options.configDirectory, "/srv/tinc/office")
        XCTAssertEqual(options.port, 656)
        XCTAssertEqual(options.keyBits, 2048)
        XCTAssertEqual(options.connectTo, 2)
        XCTAssertEqual(options.interface, "vpn0")
        XCTAssertEqual(options.debugLevel, 3)
    }

    func testEnvironment() throws {
        let options = try parse([], [
            "TINC_NETWORK_NAME": "office", "TINC_NETWORK_SUBNET": "10.0.0.0/24", "ETCD_ENDPOINTS": "http://127.0.0.1:2379",
            "ETCD_API": "v2", "ETCD_CA_FILE": "/ca.pem", "ETCD_CERT_FILE": "/c.pem", "ETCD_KEY_FILE": "/k.pem",
            "ETCD_USERNAME": "root", "ETCD_PASSWORD": "secret", "TINC_NODE_NAME": "beta",
            "TINC_PUBLIC_ADDRESS": "2001:db8::1", "TINC_CONFIG_ROOT": "/srv", "TINC_PORT": "700",
            "TINC_KEY_BITS": "3072", "TINC_CONNECT_TO": "5", "TINC_INTERFACE": "tinc0",
        ])
        XCTAssertEqual(options.network, "office")
        XCTAssertEqual(options.subnet, IPv4Network("10.0.0.0/24"))
        XCTAssertEqual(options.etcdEndpoints, ["http://127.0.0.1:2379"])
        XCTAssertEqual(options.etcdAPI, .v2)
        XCTAssertEqual(options.etcdCAFile, "/ca.pem")
        XCTAssertEqual(options.etcdUsername, "root")
        XCTAssertEqual(options.etcdPassword, "secret")
        XCTAssertEqual(options.nodeName, "beta")
        XCTAssertEqual(options.publicAddress, "2001:db8::1")
        XCTAssertEqual(options.configRoot, "/srv")
        XCTAssertEqual(options.port, 700)
        XCTAssertEqual(options.keyBits, 3072)
        XCTAssertEqual(options.connectTo, 5)
        XCTAssertEqual(options.interface, "tinc0")
    }

    func testFlagWinsOverEnvironment() throws {
        let environment = ["TINC_PORT": "700", "TINC_NODE_NAME": "fromenv", "TINC_NETWORK_SUBNET": "10.0.0.0/8"]
        let options = try parse(["--port", "800", "--name=fromflag"], environment)
        XCTAssertEqual(options.port, 800)
        XCTAssertEqual(options.nodeName, "fromflag")
        XCTAssertEqual(options.subnet, IPv4Network("10.0.0.0/8"))
    }

    func testInvalidVariableRejectedDespiteFlag() {
        // The variable is read first, so a bad value is reported even when a flag follows.
        assertRejected(["--port", "800"], ["TINC_PORT": "x"], mentions: "TINC_PORT")
    }

    func testEmptyEnvironmentVariableIsUnset() throws {
        let options = try parse([], ["TINC_PUBLIC_ADDRESS": "", "TINC_PORT": ""])
        XCTAssertNil(options.publicAddress)
        XCTAssertEqual(options.port, 655)
    }

    func testCommands() throws {
        XCTAssertEqual(try parse(["run"]).command, .run)
        XCTAssertEqual(try parse(["list", "--network", "x"]).command, .list)
        XCTAssertEqual(try parse(["--network", "x", "forget", "old_node"]).command, .forget("old_node"))
        assertRejected(["forget"], mentions: "forget")
        assertRejected(["list", "extra"], mentions: "extra")
        assertRejected(["stop"], mentions: "stop")
    }

    func testDebugLevels() throws {
        XCTAssertEqual(try parse(["-d"]).debugLevel, 1)
        XCTAssertEqual(try parse(["-d", "-d"]).debugLevel, 2)
        XCTAssertEqual(try parse(["-d5"]).debugLevel, 5)
        XCTAssertEqual(try parse(["-d", "4"]).debugLevel, 4)
        XCTAssertEqual(try parse(["--debug=2"]).debugLevel, 2)
        XCTAssertEqual(try parse(["--debug"]).debugLevel, 1)
        // A word after -d that is not a number is the command.
        let options = try parse(["-d", "list"])
        XCTAssertEqual(options.debugLevel, 1)
        XCTAssertEqual(options.command, .list)
    }

    func testHelpAndVersion() throws {
        XCTAssertTrue(try parse(["--help"]).showHelp)
        XCTAssertTrue(try parse(["--version"]).showVersion)
    }

    func testHelpNamesEveryOptionAndVariable() {
        for option in AutomaticTincOptions.valueOptions {
            XCTAssertTrue(AutomaticTincOptions.usage.contains("--\(option.flag) "), "--\(option.flag) missing from help")
            XCTAssertTrue(AutomaticTincOptions.usage.contains("[\(option.variable)]"), "\(option.variable) missing from help")
        }
    }

    func testBadValues() {
        let cases: [(arguments: [String], mentions: String)] = [
            (["--subnet", "172.16.0.1/13"], "--subnet"),
            (["--subnet", "10.0.0.0/31"], "--subnet"),
            (["--subnet", "10.0.0.0/32"], "--subnet"),
            (["--subnet", "10.0.0.0"], "--subnet"),
            (["--subnet", "10.0.0.256/24"], "--subnet"),
            (["--subnet", "fd00::/64"], "--subnet"),
            (["--subnet", "0.0.0.0/0"], "--subnet"),
            (["--port", "0"], "--port"),
            (["--port", "65536"], "--port"),
            (["--port", "-1"], "--port"),
            (["--port", "12ab"], "--port"),
            (["--key-bits", "512"], "--key-bits"),
            (["--connect-to", "0"], "--connect-to"),
            (["--etcd-api", "v4"], "--etcd-api"),
            (["--etcd", "127.0.0.1:2379"], "--etcd"),
            (["--etcd", ","], "--etcd"),
            (["--name", "bad-name"], "--name"),
            (["--name", ""], "--name"),
            (["--network", "../etc"], "--network"),
            (["--network", "a/b"], "--network"),
            (["--public-address", "1.2.3.4 5"], "--public-address"),
            (["--public-address", "a\nSubnet = 0.0.0.0/0"], "--public-address"),
            (["--interface", "a/b"], "--interface"),
            (["--interface", "sixteen_chars_xx"], "--interface"),
            (["-d", "--debug=11"], "--debug"),
            (["--unknown"], "--unknown"),
            (["-x"], "-x"),
            (["--port"], "--port"),
            (["--etcd-cert", "/c.pem"], "--etcd-key"),
            (["--etcd-user", "root"], "--etcd-password"),
        ]
        for (arguments, mentions) in cases {
            assertRejected(arguments, mentions: mentions)
        }
    }

    func testBadValueNamesValue() {
        assertRejected(["--subnet", "10.1.2.3/8"], mentions: "\"10.1.2.3/8\"")
        assertRejected([], ["TINC_NETWORK_SUBNET": "300.0.0.0/8"], mentions: "TINC_NETWORK_SUBNET")
    }
}

final class DefaultNodeNameTests: XCTestCase {
    func testHostNameUpToFirstDot() {
        XCTAssertEqual(DefaultNodeName.derive(hostname: "web1.example.org"), "web1")
        XCTAssertEqual(DefaultNodeName.derive(hostname: "web1"), "web1")
    }

    func testOtherCharactersBecomeUnderscores() {
        XCTAssertEqual(DefaultNodeName.derive(hostname: "web-01.example.org"), "web_01")
        XCTAssertEqual(DefaultNodeName.derive(hostname: "a_b"), "a_b")
        XCTAssertEqual(DefaultNodeName.derive(hostname: "müller"), "m__ller")
    }

    func testEmptyHostNameHasNoName() {
        XCTAssertNil(DefaultNodeName.derive(hostname: ""))
        XCTAssertNil(DefaultNodeName.derive(hostname: ".example.org"))
    }
}
