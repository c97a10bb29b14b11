#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
@testable import AutomaticTinc

final class PublicAddressTests: XCTestCase {
    func testIPv4DefaultRoute() {
        let table = """
            Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
            eth1\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
            eth0\t00000000\t0102000A\t0003\t0\t0\t100\t00000000\t0\t0\t0
            eth0\t0002000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
            """
        XCTAssertEqual(PublicAddress.defaultRouteInterface(ipv4Table: table), "eth0")
    }

    func testIPv4NoDefaultRoute() {
        let table = """
            Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
            eth0\t0002000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
            eth9\t00000000\t0102000A\t0002\t0\t0\t100\t00000000\t0\t0\t0
            """
        XCTAssertNil(PublicAddress.defaultRouteInterface(ipv4Table: table))
    }

    func testIPv6DefaultRoute() {
        let zero = String(repeating: "0", count: 32)
        let table = """
            \(zero) 00 \(zero) 00 fe80000000000000022a10fffe4f6e8b 00000400 00000001 00000000 00000003     eth0
            20010db8000000000000000000000000 40 \(zero) 00 \(zero) 00000100 00000001 00000000 00000001     eth0
            \(zero) 00 \(zero) 00 \(zero) ffffffff 00000001 00000000 00200200       lo
            """
        XCTAssertEqual(PublicAddress.defaultRouteInterface(ipv6Table: table), "eth0")
    }

    func testIPv6OnlyRejectRoute() {
        let zero = String(repeating: "0", count: 32)
        let table = "\(zero) 00 \(zero) 00 \(zero) ffffffff 00000001 00000000 00200200       lo\n"
        XCTAssertNil(PublicAddress.defaultRouteInterface(ipv6Table: table))
    }

    func testLoopbackAddressOfInterface() {
        XCTAssertEqual(PublicAddress.interfaceAddress("lo", family: AF_INET), "127.0.0.1")
        XCTAssertNil(PublicAddress.interfaceAddress("no_such_interface", family: AF_INET))
    }

    func testNotFoundMessageNamesTheOption() {
        XCTAssertTrue("\(PublicAddress.NotFound(detail: "x"))".contains("--public-address"))
    }
}

final class SystemdNotifyTests: XCTestCase {
    /// Binds a datagram socket at `path` (a leading NUL for an abstract name) and returns it.
    private func bindSocket(_ path: [UInt8]) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + path.count + (path.first == 0 ? 0 : 1))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        if result != 0 { throw XCTSkip("cannot bind a unix socket here: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    private func receive(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }

    func testPathSocket() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let path = directory + "/notify"
        let fd = try bindSocket(Array(path.utf8))
        defer { close(fd) }
        XCTAssertTrue(SystemdNotify.send("READY=1", socketPath: path))
        XCTAssertEqual(receive(fd), "READY=1")
    }

    func testAbstractSocket() throws {
        let name = "automatic-tinc-test-\(getpid())"
        let fd = try bindSocket([0] + Array(name.utf8))
        defer { close(fd) }
        XCTAssertTrue(SystemdNotify.send("READY=1", socketPath: "@" + name))
        XCTAssertEqual(receive(fd), "READY=1")
    }

    func testUnsetSocketSendsNothing() {
        XCTAssertFalse(SystemdNotify.send("READY=1", socketPath: nil))
        XCTAssertFalse(SystemdNotify.send("READY=1", socketPath: ""))
    }
}

final class BackoffTests: XCTestCase {
    func testBackoffDoublesUpToThirtySeconds() {
        var backoff = Backoff()
        let delays = (0..<7).map { _ in backoff.nextDelay() }
        XCTAssertEqual(delays, [1, 2, 4, 8, 16, 30, 30].map { Duration.seconds($0) })
        backoff.reset()
        XCTAssertEqual(backoff.nextDelay(), .seconds(1))
    }

    func testStopFlagEndsSleep() {
        let flag = StopFlag()
        flag.stop()
        let start = Date()
        XCTAssertFalse(flag.sleep(.seconds(5)))
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
    }
}
