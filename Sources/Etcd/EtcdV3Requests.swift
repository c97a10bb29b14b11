import Foundation

// Requests to the v3 JSON gateway: unary calls, streamed calls (watch, lease keepalive) and the
// token authentication both share.

extension EtcdV3Store {
    /// The end of a transfer: a complete response, or the timeout.
    enum Transfer {
        case completed(HTTPResponse)
        case timedOut
    }

    /// POSTs `body` as JSON to `path` and returns the parsed response. A status other than
    /// HTTP 200 is `.server`, after one new authentication if etcd rejected the token.
    func call(_ path: String, _ body: [String: Any]) throws(EtcdError) -> JSONObject {
        var authenticatedAgain = false
        while true {
            guard case .completed(let response) = try send(path, body, timeout: http.requestTimeout, onData: nil) else {
                throw .unreachable("POST \(path) timed out after \(http.requestTimeout) s")
            }
            if response.status == 200 { return try JSONObject(parsing: response.body) }

            let failure = V3StreamReader.errorMessage(in: response.body)
            if !authenticatedAgain && isRejectedToken(failure) {
                authenticatedAgain = true
                continue
            }
            throw .server(status: response.status, message: failure)
        }
    }

    /// POSTs `body` as JSON to a streaming call and feeds each line of the response to `reader`
    /// until the reader is done, the stream ends or `timeout` seconds pass. Returns false when
    /// the timeout ended the transfer. Throws what the reader found to be an error, after one
    /// new authentication if etcd rejected the token.
    @discardableResult
    func callStream(_ path: String, _ body: [String: Any], timeout: Double,
                    reader: V3StreamReader) throws(EtcdError) -> Bool {
        var authenticatedAgain = false
        while true {
            reader.reset()
            let transfer = try send(path, body, timeout: timeout) { chunk in reader.feed(chunk) }
            guard case .completed(let response) = transfer else { return false }
            reader.finish()

            // An error status has its message in the body, which the reader collected as a line.
            if response.status != 200 {
                reader.error = .server(status: response.status, message: reader.lastErrorMessage ?? "no error message")
            }
            guard let error = reader.error else { return true }

            if !authenticatedAgain, let message = reader.lastErrorMessage, isRejectedToken(message) {
                authenticatedAgain = true
                continue
            }
            throw error
        }
    }

    /// Sends one POST with the current token, authenticating first when the store has
    /// credentials but no token.
    private func send(_ path: String, _ body: [String: Any], timeout: Double,
                      onData: ((UnsafeRawBufferPointer) -> Bool)?) throws(EtcdError) -> Transfer {
        var request = HTTPRequest(method: .post, path: path, body: JSONObject.encode(body),
                                  headers: ["Content-Type: application/json"], timeout: timeout, onData: onData)
        if let token = try currentToken() {
            request.headers.append("Authorization: \(token)")
        }

        do {
            return .completed(try http.send(request))
        } catch .timedOut {
            return .timedOut
        } catch {
            throw error.etcdError
        }
    }

    // MARK: - Authentication

    /// Gets a token for the store's user from /v3/auth/authenticate and keeps it for later
    /// requests. Does nothing for a store without credentials.
    func authenticate() throws(EtcdError) {
        guard let username else { return }

        let request = HTTPRequest(method: .post, path: "/v3/auth/authenticate",
                                  body: JSONObject.encode(["name": username, "password": password ?? ""]),
                                  headers: ["Content-Type: application/json"], timeout: http.requestTimeout)
        let response: HTTPResponse
        do {
            response = try http.send(request)
        } catch {
            throw error.etcdError
        }
        guard response.status == 200 else {
            throw .server(status: response.status,
                          message: "authentication as \(username) failed: \(V3StreamReader.errorMessage(in: response.body))")
        }
        guard let newToken = try JSONObject(parsing: response.body).string("token") else {
            throw .malformed("authentication as \(username) returned no token")
        }
        storeToken(newToken)
    }

    private func currentToken() throws(EtcdError) -> String? {
        guard username != nil else { return nil }
        if let token = loadToken() { return token }
        try authenticate()
        return loadToken()
    }

    /// True when etcd rejected the token (it expired, `--auth-token-ttl`, or the member
    /// restarted); the token is then dropped so the next request authenticates again.
    private func isRejectedToken(_ message: String) -> Bool {
        guard username != nil, message.contains("invalid auth token") else { return false }
        storeToken(nil)
        return true
    }
}
