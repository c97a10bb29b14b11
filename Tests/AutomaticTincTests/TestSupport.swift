import Foundation
import TincBase
import TincCrypto
import XCTest
@testable import AutomaticTinc

/// RSA keys for the tests, generated once per run. 1024 bits keeps generation fast; the size
/// does not matter to anything under test.
enum TestKeys {
    static let first = try! RSAKey.generate(bits: 1024)
    static let second = try! RSAKey.generate(bits: 1024)

    static let firstPEM = try! first.publicKeyPEM()
    static let secondPEM = try! second.publicKeyPEM()
}

/// Returns a host file as automatic-tinc publishes it, for a peer with these addresses.
func peerHostFile(public publicAddress: String = "192.0.2.10", vpn: String = "172.16.0.2",
                  key: String = TestKeys.firstPEM) -> String {
    HostFile(publicAddress: publicAddress, vpnAddress: IPv4Address(vpn)!, port: 655, publicKeyPEM: key).render()
}

/// Creates a directory under the system's temporary directory; `removeTemporaryDirectory` removes it.
func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "automatic-tinc-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeTemporaryDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

func readText(_ path: String) -> String? {
    try? String(contentsOfFile: path, encoding: .utf8)
}

func fileMode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

/// Waits up to `timeout` seconds for `condition` to hold, checking every 10 ms.
func waitUntil(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

extension XCTestCase {
    /// Silences the log for the test, because rejected values and retries are logged on purpose.
    func quietLog() {
        Log.open(.null)
        addTeardownBlock { Log.open(.stderr) }
    }
}
