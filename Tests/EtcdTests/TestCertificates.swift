import Foundation
import Etcd

/// A throwaway CA with a server certificate for 127.0.0.1 and a client certificate, all
/// P-256 keys made by the openssl command and valid for one day.
struct TestCertificates {
    let directory: URL

    var caFile: String { directory.appendingPathComponent("ca.crt").path }
    var serverCertFile: String { directory.appendingPathComponent("server.crt").path }
    var serverKeyFile: String { directory.appendingPathComponent("server.key").path }
    var clientTLS: EtcdTLS {
        EtcdTLS(caFile: caFile, certFile: directory.appendingPathComponent("client.crt").path,
                keyFile: directory.appendingPathComponent("client.key").path)
    }

    /// The flags that make etcd serve HTTPS and require a client certificate from this CA.
    var etcdArguments: [String] {
        ["--cert-file", serverCertFile, "--key-file", serverKeyFile,
         "--trusted-ca-file", caFile, "--client-cert-auth"]
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func make() throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("subjectAltName=IP:127.0.0.1\n".utf8).write(to: directory.appendingPathComponent("server.ext"))

        let newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let steps: [[String]] = [
            ["req", "-x509"] + newKey + ["-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=etcd test CA"],
            ["req"] + newKey + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.crt", "-days", "1", "-extfile", "server.ext"],
            ["req"] + newKey + ["-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=client"],
            ["x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "client.crt", "-days", "1"],
        ]
        for arguments in steps {
            try runOpenSSL(arguments, in: directory)
        }
        return TestCertificates(directory: directory)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    private static func runOpenSSL(_ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "openssl \(arguments.joined(separator: " ")) failed: "
                + String(decoding: message, as: UTF8.self))
        }
    }
}
