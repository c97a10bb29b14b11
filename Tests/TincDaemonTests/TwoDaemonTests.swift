import Glibc
import TincConfig
import TincCrypto
import TincDevice
import TincPacket
import XCTest
@testable import TincDaemon

/// A device that keeps what the daemon writes, so a test can see delivered packets.
final class MemoryDevice: PacketDevice {
    let fileDescriptor: Int32 = -1
    let interfaceName = "memory"
    let deviceName = "memory"
    var written: [[UInt8]] = []

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int? { 0 }

    func write(_ packet: UnsafeMutableRawBufferPointer) -> Bool {
        written.append(Array(packet))
        return true
    }

    func close() {}
}

/// Two daemons in one process, talking over loopback TCP and UDP with in-memory devices: the
/// whole handshake, key exchange, PMTU probing and packet path run without root.
final class TwoDaemonTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/tinc-two-daemons-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        directory = String(cString: try XCTUnwrap(created))
    }

    override func tearDown() {
        _ = system("rm -rf '\(directory)'")
    }

    private struct Node {
        let name: String
        let port: Int
        let subnet: String
        let key: RSAKey
    }

    private func write(_ text: String, to path: String) throws {
        XCTAssertTrue(writeFileAtomically(path: path, contents: Array(text.utf8), mode: 0o600), "writing \(path)")
    }

    /// Writes a configuration directory for `node` that contains the host files of `peers`.
    private func configure(_ node: Node, peers: [Node], connectTo: String?) throws -> String {
        let base = directory + "/" + node.name
        mkdir(base, 0o755)
        mkdir(base + "/hosts", 0o755)
        var conf = "Name = \(node.name)\nBindToAddress = 127.0.0.1 \(node.port)\nPort = \(node.port)\nDeviceType = dummy\n"
        if let connectTo { conf += "ConnectTo = \(connectTo)\n" }
        try write(conf, to: base + "/tinc.conf")
        try write(try node.key.privateKeyPEM(), to: base + "/rsa_key.priv")
        for peer in peers {
            let host = "Address = 127.0.0.1\nPort = \(peer.port)\nSubnet = \(peer.subnet)\n\n" + (try peer.key.publicKeyPEM())
            try write(host, to: base + "/hosts/" + peer.name)
        }
        return base
    }

    private func makeDaemon(_ path: String, device: MemoryDevice) throws -> Daemon {
        var options = DaemonOptions(configDirectory: ConfigDirectory(path: path), netname: nil)
        options.device = device
        return try Daemon(options: options)
    }

    /// Runs the daemons' loops until `condition` is true or `seconds` pass.
    private func pump(_ daemons: [Daemon], seconds: Double, until condition: () -> Bool) throws -> Bool {
        let deadline = monotonicNowForTests() + seconds
        while monotonicNowForTests() < deadline {
            for daemon in daemons { try daemon.runOnce(maxWait: 0.005) }
            if condition() { return true }
        }
        return false
    }

    private func ipv4Packet(from source: [UInt8], to destination: [UInt8], payload: [UInt8]) -> [UInt8] {
        var packet = [UInt8](repeating: 0, count: 12) + [0x08, 0x00]
        let length = 20 + payload.count
        var header: [UInt8] = [0x45, 0, UInt8(length >> 8), UInt8(length & 0xff), 0, 1, 0x40, 0, 64, 17, 0, 0]
        header += source + destination
        let sum = header.withUnsafeBytes { internetChecksum($0) }
        header[10] = UInt8(sum >> 8)
        header[11] = UInt8(sum & 0xff)
        packet += header + payload
        return packet
    }

    private func inject(_ packet: [UInt8], into daemon: Daemon) {
        var copy = packet
        copy.withUnsafeMutableBytes { daemon.route(from: daemon.myself, $0, priority: 0) }
    }

    func testHandshakeKeysAndPacketsBothPaths() throws {
        let base = 20000 + Int(getpid() % 20000)
        let a = Node(name: "alpha", port: base, subnet: "10.1.0.1/32", key: try RSAKey.generate(bits: 1024))
        let b = Node(name: "beta", port: base + 1, subnet: "10.1.0.2/32", key: try RSAKey.generate(bits: 1024))
        let deviceA = MemoryDevice()
        let deviceB = MemoryDevice()
        let daemonA = try makeDaemon(try configure(a, peers: [a, b], connectTo: nil), device: deviceA)
        let daemonB = try makeDaemon(try configure(b, peers: [a, b], connectTo: "alpha"), device: deviceB)
        try daemonA.start(handleSignals: false)
        try daemonB.start(handleSignals: false)
        defer {
            daemonA.shutDown()
            daemonB.shutDown()
        }

        // Authentication, ACK, edges and both directions' packet keys.
        let keyed = try pump([daemonA, daemonB], seconds: 15) {
            (daemonA.lookupNode("beta")?.validKey ?? false) && (daemonB.lookupNode("alpha")?.validKey ?? false)
        }
        XCTAssertTrue(keyed, "the daemons did not exchange packet keys")
        XCTAssertTrue(daemonA.lookupNode("beta")?.reachable ?? false)
        XCTAssertTrue(daemonB.lookupNode("alpha")?.reachable ?? false)
        XCTAssertEqual(daemonA.graph.edge(from: "alpha", to: "beta")?.port, String(b.port))

        // A packet sent now travels over TCP or UDP, depending on PMTU progress. Either way it must arrive.
        let first = ipv4Packet(from: [10, 1, 0, 1], to: [10, 1, 0, 2], payload: Array("first".utf8))
        inject(first, into: daemonA)
        XCTAssertTrue(try pump([daemonA, daemonB], seconds: 5) { deviceB.written.contains { $0.suffix(5) == first.suffix(5) } },
                      "the first packet did not reach beta")

        // Once PMTU probes confirm UDP, packets go in UDP datagrams.
        let udpConfirmed = try pump([daemonA, daemonB], seconds: 10) { (daemonA.lookupNode("beta")?.minMTU ?? 0) > 0 }
        XCTAssertTrue(udpConfirmed, "PMTU discovery never confirmed UDP")
        let second = ipv4Packet(from: [10, 1, 0, 1], to: [10, 1, 0, 2], payload: Array("second".utf8))
        inject(second, into: daemonA)
        XCTAssertTrue(try pump([daemonA, daemonB], seconds: 5) { deviceB.written.contains { $0.suffix(6) == second.suffix(6) } },
                      "the packet over UDP did not reach beta")

        // And back the other way.
        let reply = ipv4Packet(from: [10, 1, 0, 2], to: [10, 1, 0, 1], payload: Array("reply".utf8))
        inject(reply, into: daemonB)
        XCTAssertTrue(try pump([daemonA, daemonB], seconds: 5) { deviceA.written.contains { $0.suffix(5) == reply.suffix(5) } },
                      "the reply did not reach alpha")
    }

    /// Starts alpha and beta, waits until UDP works both ways and returns them with their devices.
    private func startPair(basePort: Int) throws -> (Daemon, Daemon, MemoryDevice, MemoryDevice) {
        let a = Node(name: "alpha", port: basePort, subnet: "10.1.0.1/32", key: try RSAKey.generate(bits: 1024))
        let b = Node(name: "beta", port: basePort + 1, subnet: "10.1.0.2/32", key: try RSAKey.generate(bits: 1024))
        let deviceA = MemoryDevice()
        let deviceB = MemoryDevice()
        let daemonA = try makeDaemon(try configure(a, peers: [a, b], connectTo: nil), device: deviceA)
        let daemonB = try makeDaemon(try configure(b, peers: [a, b], connectTo: "alpha"), device: deviceB)
        try daemonA.start(handleSignals: false)
        try daemonB.start(handleSignals: false)
        let ready = try pump([daemonA, daemonB], seconds: 15) {
            (daemonA.lookupNode("beta")?.minMTU ?? 0) > 0 && (daemonB.lookupNode("alpha")?.minMTU ?? 0) > 0
        }
        XCTAssertTrue(ready, "UDP between alpha and beta never worked")
        return (daemonA, daemonB, deviceA, deviceB)
    }

    private func delivered(_ payload: String, from sender: Daemon, to device: MemoryDevice, pumping daemons: [Daemon]) throws -> Bool {
        let source: [UInt8] = sender.myself.name == "alpha" ? [10, 1, 0, 1] : [10, 1, 0, 2]
        let destination: [UInt8] = sender.myself.name == "alpha" ? [10, 1, 0, 2] : [10, 1, 0, 1]
        let packet = ipv4Packet(from: source, to: destination, payload: Array(payload.utf8))
        inject(packet, into: sender)
        return try pump(daemons, seconds: 3) { device.written.contains { $0.suffix(payload.utf8.count) == packet.suffix(payload.utf8.count) } }
    }

    func testOlderAnnouncedKeyStillAccepted() throws {
        let (daemonA, daemonB, deviceA, _) = try startPair(basePort: 30000 + Int(getpid() % 10000))
        defer {
            daemonA.shutDown()
            daemonB.shutDown()
        }
        // alpha makes a newer key whose ANS_KEY never reaches beta, as when an older ANS_KEY
        // overtakes a newer one on another route: beta keeps sending with the previous key.
        let beta = try XCTUnwrap(daemonA.lookupNode("beta"))
        beta.previousOpener = beta.opener
        beta.opener = try PacketOpener(key: PacketKey.generate(cipher: .aes256cbc, digest: .sha256, macLength: 4, compression: 0))
        XCTAssertTrue(try delivered("stale key", from: daemonB, to: deviceA, pumping: [daemonA, daemonB]),
                      "a packet under the previous key was dropped")
    }

    func testUnknownKeyGetsFreshAnnouncement() throws {
        let (daemonA, daemonB, deviceA, _) = try startPair(basePort: 40000 + Int(getpid() % 10000))
        defer {
            daemonA.shutDown()
            daemonB.shutDown()
        }
        // beta's key matches neither of alpha's keys, so alpha must send beta a new one.
        let beta = try XCTUnwrap(daemonA.lookupNode("beta"))
        beta.previousOpener = try PacketOpener(key: PacketKey.generate(cipher: .aes256cbc, digest: .sha256, macLength: 4, compression: 0))
        beta.opener = try PacketOpener(key: PacketKey.generate(cipher: .aes256cbc, digest: .sha256, macLength: 4, compression: 0))
        XCTAssertFalse(try delivered("lost", from: daemonB, to: deviceA, pumping: [daemonA, daemonB]),
                       "a packet under an unknown key was accepted")
        XCTAssertTrue(try delivered("healed", from: daemonB, to: deviceA, pumping: [daemonA, daemonB]),
                      "alpha did not resynchronise beta's key")
    }

    func testUnknownDestinationGetsICMPNetUnknown() throws {
        let base = 40000 + Int(getpid() % 20000)
        let a = Node(name: "alpha", port: base, subnet: "10.1.0.1/32", key: try RSAKey.generate(bits: 1024))
        let device = MemoryDevice()
        let daemon = try makeDaemon(try configure(a, peers: [a], connectTo: nil), device: device)
        try daemon.start(handleSignals: false)
        defer { daemon.shutDown() }

        inject(ipv4Packet(from: [10, 1, 0, 1], to: [10, 9, 9, 9], payload: Array("lost".utf8)), into: daemon)

        let reply = try XCTUnwrap(device.written.first, "no ICMP error was written to the device")
        XCTAssertEqual(reply[14 + 9], 1, "not ICMP")
        XCTAssertEqual(Array(reply[(14 + 16)..<(14 + 20)]), [10, 1, 0, 1], "not addressed to the sender")
        XCTAssertEqual(reply[14 + 20], 3, "not destination unreachable")
        XCTAssertEqual(reply[14 + 21], 6, "not network unknown")
        let ipHeader = reply[14..<(14 + 20)]
        XCTAssertEqual(ipHeader.withUnsafeBytes { internetChecksum($0) }, 0, "bad IPv4 header checksum")
    }
}

private func monotonicNowForTests() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}
