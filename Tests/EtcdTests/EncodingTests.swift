import Foundation
import XCTest
@testable import Etcd

/// Encodings and response parsing that need no server.
final class EncodingTests: XCTestCase {
    func testPrefixRangeEnd() {
        XCTAssertEqual(V3Encoding.prefixRangeEnd("/a/"), Array("/a0".utf8))
        XCTAssertEqual(V3Encoding.prefixRangeEnd("ab"), Array("ac".utf8))
        XCTAssertEqual(V3Encoding.prefixRangeEnd(""), [0])
        // "ÿ" is 0xc3 0xbf in UTF-8, so only the last byte changes.
        XCTAssertEqual(V3Encoding.prefixRangeEnd("ÿ"), [0xc3, 0xc0])
    }

    func testKeyPathKeepsSlashes() {
        XCTAssertEqual(URLEncoding.keyPath("/a b/c?d"), "/a%20b/c%3Fd")
        XCTAssertEqual(URLEncoding.keyPath("plain"), "/plain")
    }

    func testFormEncodesReservedCharacters() {
        let body = URLEncoding.form([("value", "a&b=c+d%"), ("ttl", "5")])
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "value=a%26b%3Dc%2Bd%25&ttl=5")
    }

    func testInt64FromStringOrNumber() throws {
        let object = try JSONObject(parsing: Data(#"{"a":"9007199254740993","b":42,"c":true,"d":"x"}"#.utf8))
        XCTAssertEqual(try object.int64("a"), 9007199254740993)
        XCTAssertEqual(try object.int64("b"), 42)
        XCTAssertNil(try object.int64("missing"))
        XCTAssertThrowsError(try object.int64("c"))
        XCTAssertThrowsError(try object.int64("d"))
    }

    func testV2ReplyWithInvalidJSONIsMalformed() {
        let response = HTTPResponse(status: 200, headers: ["x-etcd-index": "5"], body: Data("{\"node\":".utf8),
                                    stoppedEarly: false, endpoint: "http://127.0.0.1:1")
        XCTAssertThrowsError(try V2Reply(response)) { error in
            guard case .malformed? = error as? EtcdError else { return XCTFail("got \(error)") }
        }
    }

    func testV2ErrorReplyKeepsCodeAndMessage() throws {
        let body = #"{"errorCode":105,"message":"Key already exists","cause":"/a","index":7}"#
        let response = HTTPResponse(status: 412, headers: ["x-etcd-index": "7"], body: Data(body.utf8),
                                    stoppedEarly: false, endpoint: "http://127.0.0.1:1")
        let reply = try V2Reply(response)
        XCTAssertEqual(reply.errorCode, 105)
        XCTAssertEqual(reply.index, 7)
        XCTAssertThrowsError(try reply.requireSuccess()) { error in
            XCTAssertEqual(error as? EtcdError,
                           .server(status: 412, message: "errorCode 105: Key already exists (/a)"))
        }
    }

    func testV3WatchStreamLines() throws {
        let reader = V3StreamReader(kind: .watch)
        let created = #"{"result":{"header":{"revision":"9"},"created":true}}"# + "\n"
        let events = #"{"result":{"header":{"revision":"11"},"events":[{"kv":{"key":"L2E=","mod_revision":"10","value":"eA=="}},{"type":"DELETE","kv":{"key":"L2I=","mod_revision":"11"}}]}}"# + "\n"

        XCTAssertTrue(feed(reader, created))
        XCTAssertNil(reader.watchResult)
        // The events line arrives in two chunks.
        XCTAssertTrue(feed(reader, String(events.prefix(30))))
        XCTAssertFalse(feed(reader, String(events.dropFirst(30))))

        XCTAssertEqual(reader.watchResult, .events([
            .put(EtcdKeyValue(key: "/a", value: "x", modifiedRevision: 10)),
            .delete(key: "/b", revision: 11),
        ], nextRevision: 12))
    }

    func testV3WatchCompactionIsHistoryLost() {
        let reader = V3StreamReader(kind: .watch)
        let line = #"{"result":{"header":{"revision":"9"},"compact_revision":"5","canceled":true}}"# + "\n"
        XCTAssertFalse(feed(reader, line))
        XCTAssertEqual(reader.watchResult, .historyLost)
    }

    func testV3StreamErrorIsKept() {
        let reader = V3StreamReader(kind: .single)
        let line = #"{"error":{"grpc_code":16,"http_code":401,"message":"etcdserver: invalid auth token","http_status":"Unauthorized"}}"#
        XCTAssertFalse(feed(reader, line + "\n"))
        XCTAssertEqual(reader.lastErrorMessage, "etcdserver: invalid auth token")
        XCTAssertEqual(reader.error, .server(status: 401, message: "etcdserver: invalid auth token"))
    }

    private func feed(_ reader: V3StreamReader, _ text: String) -> Bool {
        Array(text.utf8).withUnsafeBytes { reader.feed($0) }
    }
}
