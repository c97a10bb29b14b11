import Foundation
import Synchronization
import XCTest
@testable import Etcd

/// A single-member etcd started for the tests: client and peer URLs on 127.0.0.1 with random
/// high ports, its own data directory, and output in `etcd.log` there.
final class EtcdServer: @unchecked Sendable {
    static let binary = "/usr/bin/etcd"

    let clientURL: String
    let dataDirectory: URL
    /// The files this side needs for an HTTPS client URL; nil for plain HTTP.
    let clientTLS: EtcdTLS?
    private let process: Process

    private init(clientURL: String, dataDirectory: URL, clientTLS: EtcdTLS?, process: Process) {
        self.clientURL = clientURL
        self.dataDirectory = dataDirectory
        self.clientTLS = clientTLS
        self.process = process
    }

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts etcd and waits until GET /health succeeds. Ports are random; when etcd exits
    /// because one is taken, it is started again with other ports, up to 5 times.
    /// With `clientTLS` the client URL is https, and `extraArguments` must give etcd its
    /// certificate flags.
    static func start(name: String, enableV2: Bool, extraArguments: [String] = [],
                      clientTLS: EtcdTLS? = nil) throws -> EtcdServer {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw StartFailure(description: "\(binary) is missing; install Debian's etcd-server package (etcd 3.4) to run EtcdTests")
        }

        var lastFailure = ""
        for _ in 0..<5 {
            let clientPort = Int.random(in: 20000..<40000)
            let peerPort = Int.random(in: 40000..<60000)
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("etcd-test-\(name)-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

            let server = try launch(name: name, clientPort: clientPort, peerPort: peerPort, directory: directory,
                                    enableV2: enableV2, extraArguments: extraArguments, clientTLS: clientTLS)
            if server.waitUntilHealthy(seconds: 15) { return server }

            lastFailure = server.logTail()
            server.stop()
            if !lastFailure.contains("address already in use") { break }
        }
        throw StartFailure(description: "etcd \(name) did not become healthy; its log ends with:\n\(lastFailure)")
    }

    private static func launch(name: String, clientPort: Int, peerPort: Int, directory: URL, enableV2: Bool,
                               extraArguments: [String], clientTLS: EtcdTLS?) throws -> EtcdServer {
        let clientURL = "\(clientTLS == nil ? "http" : "https")://127.0.0.1:\(clientPort)"
        let peerURL = "http://127.0.0.1:\(peerPort)"
        var arguments = [
            "--name", name, "--data-dir", directory.appendingPathComponent("data").path,
            "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
            "--initial-cluster", "\(name)=\(peerURL)",
            "--enable-v2=\(enableV2)",
        ]
        arguments += extraArguments

        let logURL = directory.appendingPathComponent("etcd.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)

        // timeout(1) kills etcd after 5 minutes even if this test process dies without
        // stopping it. It passes SIGTERM from `stop` on to etcd.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["300", binary] + arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try log.close()
        return EtcdServer(clientURL: clientURL, dataDirectory: directory, clientTLS: clientTLS, process: process)
    }

    private func waitUntilHealthy(seconds: Double) -> Bool {
        let client = HTTPClient(endpoints: [clientURL], tls: clientTLS, requestTimeout: 1, connectTimeout: 1)
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && process.isRunning {
            if client.isHealthy() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    /// The last 2000 bytes of etcd's output.
    func logTail() -> String {
        let data = (try? Data(contentsOf: dataDirectory.appendingPathComponent("etcd.log"))) ?? Data()
        return String(decoding: data.suffix(2000), as: UTF8.self)
    }

    /// Stops etcd, waits for it to exit and deletes its data directory.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    /// POSTs JSON to the v3 gateway without a store, for setup steps the store does not offer
    /// (compaction, users and roles). Fails the test unless etcd returns HTTP 200.
    @discardableResult
    func postV3(_ path: String, _ body: [String: Any], file: StaticString = #filePath,
                line: UInt = #line) throws -> JSONObject {
        try request(.post, path, body: JSONObject.encode(body), contentType: "application/json", file: file, line: line)
    }

    /// Sends a request with a JSON or form body and returns the JSON response.
    @discardableResult
    func request(_ method: HTTPRequest.Method, _ path: String, body: Data?, contentType: String,
                 username: String? = nil, password: String? = nil,
                 file: StaticString = #filePath, line: UInt = #line) throws -> JSONObject {
        let client = HTTPClient(endpoints: [clientURL], tls: clientTLS, username: username, password: password)
        let response = try client.send(HTTPRequest(method: method, path: path, body: body,
                                                   headers: ["Content-Type: \(contentType)"], timeout: 10))
        XCTAssertTrue((200..<300).contains(response.status),
                      "\(method.rawValue) \(path) returned HTTP \(response.status): \(JSONObject.excerpt(response.body))",
                      file: file, line: line)
        // Some v2 auth calls return an empty body.
        if response.body.isEmpty { return JSONObject(fields: [:]) }
        return try JSONObject(parsing: response.body)
    }
}

/// The servers of one test class, started on first use and stopped by `stopAll` in the class
/// tearDown. A server that failed to start is not retried, so each later test fails at once.
final class EtcdServerPool: Sendable {
    private let servers = Mutex<[String: Result<EtcdServer, EtcdServer.StartFailure>]>([:])

    func server(_ name: String, enableV2: Bool, extraArguments: [String] = [],
                clientTLS: EtcdTLS? = nil) throws -> EtcdServer {
        try servers.withLock { servers in
            if let existing = servers[name] { return try existing.get() }

            let result: Result<EtcdServer, EtcdServer.StartFailure>
            do {
                result = .success(try EtcdServer.start(name: name, enableV2: enableV2, extraArguments: extraArguments,
                                                       clientTLS: clientTLS))
            } catch let failure as EtcdServer.StartFailure {
                result = .failure(failure)
            } catch {
                result = .failure(EtcdServer.StartFailure(description: "\(error)"))
            }
            servers[name] = result
            return try result.get()
        }
    }

    func stopAll() {
        servers.withLock { servers in
            for case .success(let server) in servers.values { server.stop() }
            servers = [:]
        }
    }
}
