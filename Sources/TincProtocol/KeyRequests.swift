import TincBase

// Session keys for the UDP data path: KEY_CHANGED, REQ_KEY and ANS_KEY (tinc 1.0.36
// protocol_key.c).

/// KEY_CHANGED: `14 NONCE NAME`, broadcast when NAME has a new key, so others request it again.
public struct KeyChangedRequest: Request {
    public static let type = RequestType.keyChanged

    public var nonce: UInt32
    public var name: String

    public init(nonce: UInt32 = Self.nonce(), name: String) {
        self.nonce = nonce
        self.name = name
    }

    /// Parses `%*d %x %2048s`.
    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        var scanner = RequestScanner(line, request: Self.type)
        _ = try scanner.decimal("request number")
        let nonce = try scanner.hexadecimal("nonce")
        let name = try scanner.string("name")
        return Self(nonce: nonce, name: name)
    }

    public var line: String {
        "\(Self.type.rawValue) \(hex(nonce)) \(name)"
    }

    public var namesAreValid: Bool { NodeName.isValid(name) }
}

/// REQ_KEY: `15 FROM TO`, FROM asking TO for its key, routed hop by hop towards TO.
public struct ReqKeyRequest: Request {
    public static let type = RequestType.reqKey

    public var from: String
    public var to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }

    /// Parses `%*d %2048s %2048s`.
    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        var scanner = RequestScanner(line, request: Self.type)
        _ = try scanner.decimal("request number")
        let from = try scanner.string("from name")
        let to = try scanner.string("to name")
        return Self(from: from, to: to)
    }

    public var line: String {
        "\(Self.type.rawValue) \(from) \(to)"
    }

    /// True when both names pass tinc's check_id. tinc does not require them to differ here.
    public var namesAreValid: Bool {
        NodeName.isValid(from) && NodeName.isValid(to)
    }
}

/// ANS_KEY: `16 FROM TO KEY CIPHER DIGEST MACLENGTH COMPRESSION [ADDRESS PORT]`, FROM's key for
/// packets sent to it, routed towards TO. A node forwarding it may append the UDP address and
/// port that it has for FROM (the reflexive address).
public struct AnsKeyRequest: Request {
    public static let type = RequestType.ansKey

    public var from: String
    public var to: String
    /// The key in hex.
    public var key: String
    /// OpenSSL NID of the cipher, 0 for none.
    public var cipher: Int32
    /// OpenSSL NID of the digest, 0 for none.
    public var digest: Int32
    public var macLength: Int32
    public var compression: Int32
    /// The reflexive address, when a forwarding node appended one.
    public var address: String?
    /// The reflexive port. It can be nil while `address` is set, when a line carries only the
    /// address, and tinc then ignores the address.
    public var port: String?

    public init(from: String, to: String, key: String, cipher: Int32, digest: Int32, macLength: Int32,
                compression: Int32, address: String? = nil, port: String? = nil) {
        self.from = from
        self.to = to
        self.key = key
        self.cipher = cipher
        self.digest = digest
        self.macLength = macLength
        self.compression = compression
        self.address = address
        self.port = port
    }

    /// Parses `%*d %2048s %2048s %2048s %d %d %d %d %2048s %2048s`, of which the first seven
    /// conversions after the request number are required.
    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        var scanner = RequestScanner(line, request: Self.type)
        _ = try scanner.decimal("request number")
        let from = try scanner.string("from name")
        let to = try scanner.string("to name")
        let key = try scanner.string("key")
        let cipher = try scanner.decimal("cipher")
        let digest = try scanner.decimal("digest")
        let macLength = try scanner.decimal("MAC length")
        let compression = try scanner.decimal("compression")
        let address = try scanner.optionalString("address")
        let port = address == nil ? nil : try scanner.optionalString("port")
        return Self(from: from, to: to, key: key, cipher: cipher, digest: digest, macLength: macLength,
                    compression: compression, address: address, port: port)
    }

    /// The line with the optional fields that are set, so a parsed line formats back unchanged.
    public var line: String {
        var text = "\(Self.type.rawValue) \(from) \(to) \(key) \(cipher) \(digest) \(macLength) \(compression)"
        if let address {
            text += " \(address)"
            if let port { text += " \(port)" }
        }
        return text
    }

    /// Formats the line a forwarding node sends: the received line unchanged, with the reflexive
    /// address and port appended.
    public static func forwardingLine(_ received: Substring, address: String, port: String) -> String {
        "\(received) \(address) \(port)"
    }

    /// True when both names pass tinc's check_id. tinc does not require them to differ here.
    public var namesAreValid: Bool {
        NodeName.isValid(from) && NodeName.isValid(to)
    }
}
