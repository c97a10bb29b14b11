import Foundation

/// A parsed JSON object with typed field access. A field of the wrong type is `.malformed`,
/// never taken as absent.
struct JSONObject {
    let fields: [String: Any]

    init(fields: [String: Any]) {
        self.fields = fields
    }

    init(parsing data: Data) throws(EtcdError) {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .malformed("invalid JSON: \(JSONObject.excerpt(data))")
        }
        guard let fields = parsed as? [String: Any] else {
            throw .malformed("expected a JSON object: \(JSONObject.excerpt(data))")
        }
        self.fields = fields
    }

    /// The first 200 bytes of `data` as text, for error messages.
    static func excerpt(_ data: Data) -> String {
        let text = String(decoding: data.prefix(200), as: UTF8.self)
        return data.count > 200 ? text + "..." : text
    }

    func string(_ name: String) throws(EtcdError) -> String? {
        guard let value = fields[name] else { return nil }
        guard let text = value as? String else { throw .malformed("field \(name) is not a string") }
        return text
    }

    /// Reads an integer sent as a JSON number or, as etcd's v3 gateway sends int64 fields, as a
    /// string of digits.
    func int64(_ name: String) throws(EtcdError) -> Int64? {
        guard let value = fields[name] else { return nil }
        if let text = value as? String, let number = Int64(text) { return number }
        if !(value is Bool), let number = value as? Int64 { return number }
        throw .malformed("field \(name) is not an integer")
    }

    func bool(_ name: String) throws(EtcdError) -> Bool? {
        guard let value = fields[name] else { return nil }
        guard let flag = value as? Bool else { throw .malformed("field \(name) is not a boolean") }
        return flag
    }

    func object(_ name: String) throws(EtcdError) -> JSONObject? {
        guard let value = fields[name] else { return nil }
        guard let object = value as? [String: Any] else { throw .malformed("field \(name) is not an object") }
        return JSONObject(fields: object)
    }

    func objects(_ name: String) throws(EtcdError) -> [JSONObject]? {
        guard let value = fields[name] else { return nil }
        guard let array = value as? [Any] else { throw .malformed("field \(name) is not an array") }
        var objects: [JSONObject] = []
        for element in array {
            guard let object = element as? [String: Any] else {
                throw .malformed("field \(name) contains an element that is not an object")
            }
            objects.append(JSONObject(fields: object))
        }
        return objects
    }

    /// Serializes `fields` for a request body.
    static func encode(_ fields: [String: Any]) -> Data {
        do {
            return try JSONSerialization.data(withJSONObject: fields)
        } catch {
            // Callers pass only strings, numbers, booleans, arrays and dictionaries.
            preconditionFailure("request body is not serializable as JSON: \(error)")
        }
    }
}

// MARK: - URL and form encoding (v2)

enum URLEncoding {
    /// RFC 3986 unreserved characters, the only ones sent without percent-encoding.
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Percent-encodes a form value or a query value.
    static func component(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// Percent-encodes a v2 key as a URL path, keeping its "/" separators. A key without a
    /// leading "/" gets one, as the v2 API stores every key under the root directory.
    static func keyPath(_ key: String) -> String {
        let path = key.hasPrefix("/") ? key : "/" + key
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .map { component(String($0)) }
            .joined(separator: "/")
    }

    /// Builds an application/x-www-form-urlencoded body from name and value pairs.
    static func form(_ pairs: [(String, String)]) -> Data {
        let text = pairs.map { "\(component($0.0))=\(component($0.1))" }.joined(separator: "&")
        return Data(text.utf8)
    }
}

// MARK: - Keys and ranges (v3)

enum V3Encoding {
    static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }

    /// Decodes a base64 key or value. Bytes that are not UTF-8 become U+FFFD, so one foreign
    /// binary key does not make a whole listing fail.
    static func decodeBase64(_ text: String, field: String) throws(EtcdError) -> String {
        guard let data = Data(base64Encoded: text) else {
            throw .malformed("field \(field) is not valid base64")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The base64 key and range_end that select every key starting with `prefix`. etcd
    /// rejects an empty key, so an empty prefix starts the range at "\0".
    static func prefixRange(_ prefix: String) -> (key: String, rangeEnd: String) {
        let start = prefix.isEmpty ? [0] : Array(prefix.utf8)
        return (Data(start).base64EncodedString(), Data(prefixRangeEnd(prefix)).base64EncodedString())
    }

    /// The range_end that selects every key starting with `prefix`: the prefix with its last
    /// byte below 0xff incremented and the bytes after it dropped. An empty prefix, or one of
    /// only 0xff bytes, gives "\0", which etcd reads as "to the end of the key space".
    static func prefixRangeEnd(_ prefix: String) -> [UInt8] {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return [0]
    }
}
