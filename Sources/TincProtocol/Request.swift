// The meta protocol of tinc 1.0.36 (protocol 17): one line of ASCII per request, the request
// number first. This module parses and formats lines only. Framing, encryption and the
// handlers' decisions belong to the daemon.

/// Request numbers as tinc 1.0.36 sends them (protocol.h).
public enum RequestType: Int, Sendable, CaseIterable {
    case id = 0
    case metaKey
    case challenge
    case challengeReply
    case ack
    case status
    case error
    case termReq
    case ping
    case pong
    case addSubnet
    case delSubnet
    case addEdge
    case delEdge
    case keyChanged
    case reqKey
    case ansKey
    case packet

    /// The name tinc logs, as in "Got ADD_EDGE from ...".
    public var name: String {
        switch self {
        case .id: return "ID"
        case .metaKey: return "METAKEY"
        case .challenge: return "CHALLENGE"
        case .challengeReply: return "CHAL_REPLY"
        case .ack: return "ACK"
        case .status: return "STATUS"
        case .error: return "ERROR"
        case .termReq: return "TERMREQ"
        case .ping: return "PING"
        case .pong: return "PONG"
        case .addSubnet: return "ADD_SUBNET"
        case .delSubnet: return "DEL_SUBNET"
        case .addEdge: return "ADD_EDGE"
        case .delEdge: return "DEL_EDGE"
        case .keyChanged: return "KEY_CHANGED"
        case .reqKey: return "REQ_KEY"
        case .ansKey: return "ANS_KEY"
        case .packet: return "PACKET"
        }
    }

    /// Reads the leading request number as tinc's `sscanf(line, "%d")` does, or returns nil when
    /// the line does not start with one ("Bogus data received"). The number may be outside the
    /// known range ("Unknown request").
    public static func peek(_ line: Substring) -> Int? {
        // The request type only labels errors, which are discarded here.
        var scanner = RequestScanner(line, request: .id)
        guard let number = try? scanner.decimal("request number") else { return nil }
        return Int(number)
    }
}

/// One request of the meta protocol: parsed from a line and formatted back to one.
public protocol Request: Sendable, Equatable {
    static var type: RequestType { get }

    /// Parses `line` with the sscanf format of tinc 1.0.36's handler for this request, or throws
    /// an error that names the field that did not match. The line has no trailing newline.
    /// Fields after the last expected one are ignored, as sscanf does.
    static func parse(_ line: Substring) throws(ProtocolError) -> Self

    /// The line that tinc 1.0.36 sends for this request, without the trailing newline.
    var line: String { get }
}

extension Request {
    /// Parses `line` as `parse(_:)` does, or returns nil when that throws.
    public init?(parsing line: Substring) {
        guard let request = try? Self.parse(line) else { return nil }
        self = request
    }

    /// Returns a random value for the `%x` nonce that tinc puts in broadcast requests, in the
    /// range of C's rand(): 0...Int32.max. The nonce only makes otherwise identical lines differ,
    /// so that the seen-request cache does not drop a repeated change.
    public static func nonce() -> UInt32 {
        UInt32.random(in: 0...UInt32(Int32.max))
    }
}

/// Formats `value` as C's `%x`: lowercase hex without leading zeros.
func hex(_ value: UInt32) -> String {
    String(value, radix: 16, uppercase: false)
}
