import Foundation

/// Reader of a streaming v3 gateway response, which is one JSON object per line: each
/// `{"result":{...}}` or `{"error":{...}}`. A plain (non-streaming) error body is one such
/// line too, so the reader also collects the message of a failed request.
///
/// Used only on the thread running the transfer: `feed` is called from libcurl's write
/// callback inside `curl_easy_perform`.
final class V3StreamReader {
    enum Kind {
        /// A watch: collect events, stop at the first message that has some.
        case watch
        /// A call that responds once (lease keepalive): stop at the first result.
        case single
    }

    let kind: Kind
    private var pending: [UInt8] = []

    /// The first result, for `.single`.
    private(set) var result: JSONObject?
    /// The watch result, once known.
    private(set) var watchResult: EtcdWatchResult?
    /// The message of the last error line, for error statuses and token checks.
    private(set) var lastErrorMessage: String?
    var error: EtcdError?

    init(kind: Kind) {
        self.kind = kind
    }

    /// Forgets everything read, before the call is sent again.
    func reset() {
        pending = []
        result = nil
        watchResult = nil
        lastErrorMessage = nil
        error = nil
    }

    private var isDone: Bool {
        error != nil || watchResult != nil || result != nil
    }

    /// Takes a chunk of the body and handles every complete line in it. Returns false once the
    /// result is known, which ends the transfer.
    func feed(_ chunk: UnsafeRawBufferPointer) -> Bool {
        pending.append(contentsOf: chunk)
        while !isDone, let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = Array(pending[..<newline])
            pending.removeSubrange(...newline)
            handleLine(line)
        }
        return !isDone
    }

    /// Handles a last line that ended without a newline.
    func finish() {
        if !isDone && !pending.isEmpty { handleLine(pending) }
        pending = []
    }

    private func handleLine(_ line: [UInt8]) {
        let data = Data(line)
        if data.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { return }

        do {
            let message = try JSONObject(parsing: data)
            if message.fields["error"] != nil {
                let text = V3StreamReader.errorMessage(in: message)
                lastErrorMessage = text
                error = .server(status: V3StreamReader.httpCode(in: message) ?? 200, message: text)
            } else if let body = try message.object("result") {
                try handleResult(body)
            } else if kind == .single {
                // A unary response, or a gateway that does not wrap results.
                try handleResult(message)
            } else {
                throw EtcdError.malformed("stream line has neither result nor error: \(JSONObject.excerpt(data))")
            }
        } catch let failure as EtcdError {
            // A non-JSON line is the body of an error status ("404 page not found").
            lastErrorMessage = JSONObject.excerpt(data)
            error = failure
        } catch {
            self.error = .malformed("\(error)")
        }
    }

    private func handleResult(_ body: JSONObject) throws(EtcdError) {
        switch kind {
        case .single:
            result = body
        case .watch:
            watchResult = try V3StreamReader.watchResult(body)
        }
    }

    /// Reads one watch response. Returns nil for a response without news: the confirmation of
    /// the watch, or a progress notification.
    static func watchResult(_ body: JSONObject) throws(EtcdError) -> EtcdWatchResult? {
        // For a start revision below the compacted one, etcd 3.4 sends compact_revision and
        // cancels the watch.
        if let compacted = try body.int64("compact_revision"), compacted > 0 { return .historyLost }
        if try body.bool("canceled") == true {
            let reason = try body.string("cancel_reason") ?? "no reason given"
            if reason.contains("compact") { return .historyLost }
            throw .server(status: 200, message: "etcd canceled the watch: \(reason)")
        }

        var events: [EtcdEvent] = []
        var lastRevision: Int64 = 0
        for event in try body.objects("events") ?? [] {
            guard let kv = try event.object("kv"), let key = try kv.string("key"),
                  let revision = try kv.int64("mod_revision") else {
                throw .malformed("watch event lacks kv, key or mod_revision")
            }
            let decodedKey = try V3Encoding.decodeBase64(key, field: "key")

            // PUT is the default event type, which the gateway leaves out.
            if try event.string("type") == "DELETE" {
                events.append(.delete(key: decodedKey, revision: revision))
            } else {
                let value = try V3Encoding.decodeBase64(try kv.string("value") ?? "", field: "value")
                events.append(.put(EtcdKeyValue(key: decodedKey, value: value, modifiedRevision: revision)))
            }
            lastRevision = max(lastRevision, revision)
        }
        return events.isEmpty ? nil : .events(events, nextRevision: lastRevision + 1)
    }

    // MARK: - Error bodies

    /// Extracts the message of a gateway error body: `{"error":"...","message":"...","code":N}` for a
    /// failed request, `{"error":{"message":"...","http_code":N}}` inside a stream.
    static func errorMessage(in body: Data) -> String {
        guard let object = try? JSONObject(parsing: body) else {
            return body.isEmpty ? "no error message" : JSONObject.excerpt(body)
        }
        return errorMessage(in: object)
    }

    static func errorMessage(in object: JSONObject) -> String {
        if let nested = try? object.object("error"), let message = try? nested.string("message") {
            return message
        }
        if let message = try? object.string("message"), !message.isEmpty { return message }
        if let message = try? object.string("error") { return message }
        return JSONObject.excerpt(JSONObject.encode(object.fields))
    }

    private static func httpCode(in object: JSONObject) -> Int? {
        guard let nested = try? object.object("error"), let code = try? nested.int64("http_code") else { return nil }
        return Int(code)
    }
}
