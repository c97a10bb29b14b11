import Foundation
import Synchronization
import TincBase

/// A failure that left a request without an HTTP response.
enum HTTPError: Error {
    /// No endpoint accepted the connection; the detail lists each endpoint's failure.
    case unreachable(String)
    /// The request was sent, but the whole transfer did not finish within its timeout.
    case timedOut(String)
    /// The request was sent, but the server closed the connection without any response.
    case emptyReply(String)
    /// The request was sent, but the transfer failed for another reason.
    case failed(String)

    /// The store-level error: every transport failure means etcd could not be used.
    var etcdError: EtcdError {
        switch self {
        case .unreachable(let detail), .timedOut(let detail), .emptyReply(let detail), .failed(let detail):
            return .unreachable(detail)
        }
    }
}

/// HTTP to a list of etcd endpoints over libcurl. A request goes to the endpoint that responded
/// last. When that one cannot be reached, the next ones are tried in order, and the first that
/// responds is remembered. Safe to use from several threads: each transfer takes its own easy
/// handle from a pool.
final class HTTPClient: Sendable {
    let endpoints: [String]
    let settings: CurlSettings
    /// Seconds for a request whose caller gives no timeout of its own.
    let requestTimeout: Double

    private let preferredIndex = Mutex<Int>(0)
    private let idleHandles = Mutex<[CurlEasy]>([])
    /// Handles kept for reuse; more only exist while more threads call at once.
    private static let maxIdleHandles = 4

    init(endpoints: [String], tls: EtcdTLS? = nil, username: String? = nil, password: String? = nil,
         requestTimeout: Double = 10, connectTimeout: Double = 5) {
        self.endpoints = endpoints.map(HTTPClient.normalizeEndpoint)
        self.settings = CurlSettings(tls: tls, username: username, password: password,
                                     connectTimeout: connectTimeout)
        self.requestTimeout = requestTimeout
    }

    /// The endpoint the next request tries first: the last one that responded.
    var currentEndpoint: String {
        endpoints.isEmpty ? "" : endpoints[preferredIndex.withLock { $0 }]
    }

    /// Adds "http://" when the endpoint has no scheme and drops trailing slashes, so that a path
    /// can be appended.
    static func normalizeEndpoint(_ endpoint: String) -> String {
        var normalized = endpoint.trimmingCharacters(in: .whitespaces)
        if !normalized.contains("://") { normalized = "http://" + normalized }
        while normalized.hasSuffix("/") { normalized.removeLast() }
        return normalized
    }

    /// Sends `request`, trying each endpoint once, starting with the one that responded last.
    /// An endpoint is skipped only when the request never reached it, so no request is applied
    /// twice.
    func send(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        guard !endpoints.isEmpty else { throw .unreachable("no etcd endpoint is configured") }

        let handle = takeHandle()
        defer { returnHandle(handle) }
        guard let handle else { throw .failed("curl_easy_init failed") }

        let first = preferredIndex.withLock { $0 }
        var failures: [String] = []
        for step in 0..<endpoints.count {
            let index = (first + step) % endpoints.count
            let endpoint = endpoints[index]

            switch handle.perform(endpoint: endpoint, request: request, settings: settings) {
            case .success(let response):
                if index != first { switchPreferred(to: index, failures: failures) }
                return response

            case .failure(let failure) where !failure.requestSent:
                failures.append("\(endpoint): \(failure.detail)")

            case .failure(let failure):
                let detail = "\(request.method.rawValue) \(endpoint)\(request.path): \(failure.detail)"
                if failure.isTimeout { throw .timedOut(detail) }
                if failure.isEmptyReply { throw .emptyReply(detail) }
                throw .failed(detail)
            }
        }
        throw .unreachable(failures.joined(separator: "; "))
    }

    private func switchPreferred(to index: Int, failures: [String]) {
        preferredIndex.withLock { $0 = index }
        Log.warning("Switched to etcd endpoint \(endpoints[index]) after failures: \(failures.joined(separator: "; "))")
    }

    private func takeHandle() -> CurlEasy? {
        if let idle = idleHandles.withLock({ $0.popLast() }) { return idle }
        return CurlEasy()
    }

    private func returnHandle(_ handle: CurlEasy?) {
        guard let handle else { return }
        idleHandles.withLock { idle in
            if idle.count < HTTPClient.maxIdleHandles { idle.append(handle) }
        }
    }
}

// MARK: - Requests both APIs share

extension HTTPClient {
    /// Checks GET /health, which etcd 3.4 returns as {"health":"true"} (a string; later
    /// versions may send a JSON boolean, which is accepted too).
    func isHealthy() -> Bool {
        let request = HTTPRequest(method: .get, path: "/health", timeout: min(requestTimeout, 5))
        guard let response = try? send(request), response.status == 200,
              let object = try? JSONObject(parsing: response.body) else { return false }
        switch object.fields["health"] {
        case let text as String: return text == "true"
        case let flag as Bool: return flag
        default: return false
        }
    }
}
