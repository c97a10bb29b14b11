import CCurl
import Foundation

// The only file that calls libcurl. One `CurlEasy` runs one transfer at a time; `HTTPClient`
// keeps a pool of them so that threads never share a handle.

/// curl_global_init's result. libcurl requires the call once before any easy handle exists.
/// Swift initializes a global `let` lazily and exactly once, even when several threads race.
private let curlGlobalInitResult: CURLcode = ccurl_global_init_default()

/// One HTTP request as `CurlEasy.perform` sends it.
struct HTTPRequest {
    enum Method: String {
        case get = "GET", put = "PUT", post = "POST", delete = "DELETE"
    }

    var method: Method
    /// Path and query, starting with "/"; the endpoint is put in front of it.
    var path: String
    var body: Data?
    /// Whole header lines, "Name: value".
    var headers: [String] = []
    /// Seconds for the whole transfer, connection included.
    var timeout: Double
    /// Receiver of the body, chunk by chunk, in place of collecting it. Returning false ends the
    /// transfer, and `perform` then returns the response with `stoppedEarly` set.
    var onData: ((UnsafeRawBufferPointer) -> Bool)? = nil
}

struct HTTPResponse {
    var status: Int
    /// Header values by lowercased name, from the last response when curl saw several (a
    /// "100 Continue" before the real one).
    var headers: [String: String]
    /// Empty when the request had an `onData` receiver.
    var body: Data
    var stoppedEarly: Bool
    /// The endpoint that sent this response.
    var endpoint: String
}

/// A transfer that failed in libcurl, before or after the request reached the server.
struct CurlFailure: Error {
    var code: CURLcode
    var detail: String
    /// False when libcurl failed before sending the request (no connection, TLS handshake
    /// failed), so retrying it on another endpoint cannot apply the request twice.
    var requestSent: Bool

    var isTimeout: Bool { code == CURLE_OPERATION_TIMEDOUT }
    var isEmptyReply: Bool { code == CURLE_GOT_NOTHING }
}

/// Connection settings shared by every transfer of one client.
struct CurlSettings: Sendable {
    var tls: EtcdTLS?
    var username: String?
    var password: String?
    /// Maximum seconds to connect, capped by the request's own timeout.
    var connectTimeout: Double
}

/// Body, headers and the receiver of one running transfer; libcurl's callbacks reach it
/// through their context pointer.
private final class TransferState {
    var body = Data()
    var headers: [String: String] = [:]
    var onData: ((UnsafeRawBufferPointer) -> Bool)?
    var stoppedEarly = false

    init(onData: ((UnsafeRawBufferPointer) -> Bool)?) {
        self.onData = onData
    }

    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)

        // A status line starts a new response, so headers of a "100 Continue" are dropped.
        if line.hasPrefix("HTTP/") {
            headers = [:]
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        headers[name] = value
    }
}

/// A libcurl easy handle. Not safe for two threads at once: `HTTPClient` hands each to one
/// transfer at a time, which is why the unchecked `Sendable` holds.
final class CurlEasy: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer

    init?() {
        guard curlGlobalInitResult == CURLE_OK, let handle = curl_easy_init() else { return nil }
        self.handle = handle
    }

    deinit {
        curl_easy_cleanup(handle)
    }

    /// Sends `request` to `endpoint` and waits for the whole response, or until `onData` ends it.
    func perform(endpoint: String, request: HTTPRequest, settings: CurlSettings) -> Result<HTTPResponse, CurlFailure> {
        let state = TransferState(onData: request.onData)
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }

        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        // An empty "Expect:" stops libcurl from waiting for "100 Continue" before large bodies.
        for line in request.headers + ["Expect:"] {
            headerList = curl_slist_append(headerList, line)
        }
        // curl_easy_reset clears every option but keeps open connections for reuse. It runs
        // before the other deferred calls, so the handle no longer points at the error buffer,
        // the header list or `state` once they are freed.
        defer { curl_easy_reset(handle) }

        let code = withExtendedLifetime(state) { () -> CURLcode in
            let context = Unmanaged.passUnretained(state).toOpaque()
            setOptions(endpoint: endpoint, request: request, settings: settings,
                       context: context, errorBuffer: errorBuffer, headerList: headerList)
            return curl_easy_perform(handle)
        }

        // A receiver that ended the transfer makes libcurl report a write error, which is no
        // failure here.
        if code == CURLE_OK || (code == CURLE_WRITE_ERROR && state.stoppedEarly) {
            var status = 0
            ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            return .success(HTTPResponse(status: status, headers: state.headers, body: state.body,
                                         stoppedEarly: state.stoppedEarly, endpoint: endpoint))
        }

        var detail = String(cString: errorBuffer)
        if detail.isEmpty { detail = String(cString: curl_easy_strerror(code)) }
        // Pre-transfer time stays 0 until the connection (and TLS handshake) is ready to send.
        var pretransferMicroseconds: curl_off_t = 0
        ccurl_getinfo_off_t(handle, CURLINFO_PRETRANSFER_TIME_T, &pretransferMicroseconds)
        return .failure(CurlFailure(code: code, detail: detail, requestSent: pretransferMicroseconds > 0))
    }

    private func setOptions(endpoint: String, request: HTTPRequest, settings: CurlSettings,
                            context: UnsafeMutableRawPointer, errorBuffer: UnsafeMutablePointer<CChar>,
                            headerList: UnsafeMutablePointer<curl_slist>?) {
        ccurl_setopt_string(handle, CURLOPT_URL, endpoint + request.path)
        ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        // Without NOSIGNAL libcurl uses SIGALRM for timeouts, which is unsafe with threads.
        ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)

        let timeoutMilliseconds = max(1, Int(request.timeout * 1000))
        let connectMilliseconds = max(1, Int(min(request.timeout, settings.connectTimeout) * 1000))
        ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMilliseconds)
        ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, connectMilliseconds)

        setMethodAndBody(request)
        ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
        setCallbacks(context: context)
        setCredentials(settings)
    }

    private func setMethodAndBody(_ request: HTTPRequest) {
        switch request.method {
        case .get:
            ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case .post, .put:
            // COPYPOSTFIELDS copies the bytes, so they need not outlive this call.
            let body = request.body ?? Data()
            ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
            body.withUnsafeBytes { bytes in
                let empty: StaticString = ""
                let pointer = bytes.baseAddress ?? UnsafeRawPointer(empty.utf8Start)
                ccurl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: pointer))
            }
            if request.method == .put {
                ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "PUT")
            }
        case .delete:
            ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "DELETE")
        }
    }

    private func setCallbacks(context: UnsafeMutableRawPointer) {
        ccurl_setopt_write_function(handle) { data, size, count, context in
            let length = size * count
            guard let data, let context else { return 0 }
            let state = Unmanaged<TransferState>.fromOpaque(context).takeUnretainedValue()
            let chunk = UnsafeRawBufferPointer(start: data, count: length)

            if let onData = state.onData {
                if !onData(chunk) {
                    // Any count other than `length` makes libcurl end the transfer.
                    state.stoppedEarly = true
                    return length == 0 ? 1 : 0
                }
            } else {
                state.body.append(contentsOf: chunk)
            }
            return length
        }
        ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)

        ccurl_setopt_header_function(handle) { data, size, count, context in
            let length = size * count
            guard let data, let context else { return 0 }
            let state = Unmanaged<TransferState>.fromOpaque(context).takeUnretainedValue()
            state.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
            return length
        }
        ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
    }

    private func setCredentials(_ settings: CurlSettings) {
        if let tls = settings.tls {
            if let caFile = tls.caFile { ccurl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
            if let certFile = tls.certFile { ccurl_setopt_string(handle, CURLOPT_SSLCERT, certFile) }
            if let keyFile = tls.keyFile { ccurl_setopt_string(handle, CURLOPT_SSLKEY, keyFile) }
        }
        // libcurl sends these as HTTP basic auth, its default scheme.
        if let username = settings.username {
            ccurl_setopt_string(handle, CURLOPT_USERNAME, username)
            ccurl_setopt_string(handle, CURLOPT_PASSWORD, settings.password ?? "")
        }
    }
}
