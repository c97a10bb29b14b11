// Keepalive and packets over TCP: PING, PONG and PACKET (tinc 1.0.36 protocol_misc.c).

/// PING: `8`. tinc reads nothing after the request number.
public struct PingRequest: Request {
    public static let type = RequestType.ping

    public init() {}

    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        var scanner = RequestScanner(line, request: Self.type)
        _ = try scanner.decimal("request number")
        return Self()
    }

    public var line: String { "\(Self.type.rawValue)" }
}

/// PONG: `9`, the reply to PING.
public struct PongRequest: Request {
    public static let type = RequestType.pong

    public init() {}

    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        var scanner = RequestScanner(line, request: Self.type)
        _ = try scanner.decimal("request number")
        return Self()
    }

    public var line: String { "\(Self.type.rawValue)" }
}

/// PACKET: `17 LENGTH`, followed on the stream by LENGTH raw bytes of a VPN packet. Reading those
/// bytes is the caller's job.
public struct PacketRequest: Request {
    public static let type = RequestType.packet

    /// Packet length in bytes.
    public var length: UInt16

    public init(length: UInt16) {
        self.length = length
    }

    /// Parses `%*d %hu`.
    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        var scanner = RequestScanner(line, request: Self.type)
        _ = try scanner.decimal("request number")
        let length = try scanner.unsignedShort("length")
        return Self(length: length)
    }

    /// tinc 1.0.36 sends the length with `%hd`, so a length above 32767 goes out negative, and the
    /// receiver's `%hu` turns it back. Packets never get that long with tinc's maximum MTU of 9018.
    public var line: String {
        "\(Self.type.rawValue) \(Int16(truncatingIfNeeded: length))"
    }
}
