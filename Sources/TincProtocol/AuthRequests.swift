import TincBase

// Authentication: ID, METAKEY, CHALLENGE, CHAL_REPLY and ACK, in the order a new meta
// connection exchanges them (tinc 1.0.36 protocol_auth.c).

/// The protocol version of tinc 1.0.x (`PROT_CURRENT`).
public let currentProtocolVersion: Int32 = 17

/// ID: `0 NAME VERSION`, the first line each side sends.
public struct IDRequest: Request {
    public static let type = RequestType.id

    public var name: String
    public var protocolVersion: Int32

    public init(name: String, protocolVersion: Int32 = currentProtocolVersion) {
        self.name = name
        self.protocolVersion = protocolVersion
    }

    /// Parses `%*d %2048s %d`.
    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        var scanner = RequestScanner(line, request: Self.type)
        _ = try scanner.decimal("request number")
        let name = try scanner.string("name")
        let protocolVersion = try scanner.decimal("protocol version")
        return Self(name: name, protocolVersion: protocolVersion)
    }

    public var line: String {
        "\(Self.type.rawValue) \(name) \(protocolVersion)"
    }

    /// True when the name passes tinc's check_id. Whether it is our own name is the handler's check.
    public var namesAreValid: Bool {
        NodeName.isValid(name)
    }
}

/// METAKEY: the RSA-encrypted session key for the sender's outgoing direction, in hex, with the
/// OpenSSL NIDs of the cipher and digest that the key is for.
public struct MetaKeyRequest: Request {
    public static let type = RequestType.metaKey

    /// OpenSSL NID of the cipher, 0 for none.
    public var cipher: Int32
    /// OpenSSL NID of the digest, 0 for none.
    public var digest: Int32
    public var macLength: Int32
    public var compression: Int32
    /// The encrypted key in hex, as long as the receiver's RSA modulus in hex digits.
    public var key: String

    public init(cipher: Int32, digest: Int32, macLength: Int32, compression: Int32, key: String) {
        self.cipher = cipher
        self.digest = digest
        self.macLength = macLength
        self.compression = compression
        self.key = key
    }

    /// Parses `%*d %d %d %d %d %2048s`.
    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        var scanner = RequestScanner(line, request: Self.type)
        _ = try scanner.decimal("request number")
        let cipher = try scanner.decimal("cipher")
        let digest = try scanner.decimal("digest")
        let macLength = try scanner.decimal("MAC length")
        let compression = try scanner.decimal("compression")
        let key = try scanner.string("key")
        return Self(cipher: cipher, digest: digest, macLength: macLength, compression: compression,
                    key: key)
    }

    public var line: String {
        "\(Self.type.rawValue) \(cipher) \(digest) \(macLength) \(compression) \(key)"
    }
}

/// CHALLENGE: random bytes in hex, as many as the receiver's RSA modulus.
public struct ChallengeRequest: Request {
    public static let type = RequestType.challenge

    public var challenge: String

    public init(challenge: String) {
        self.challenge = challenge
    }

    /// Parses `%*d %2048s`.
    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        var scanner = RequestScanner(line, request: Self.type)
        _ = try scanner.decimal("request number")
        let challenge = try scanner.string("challenge")
        return Self(challenge: challenge)
    }

    public var line: String {
        "\(Self.type.rawValue) \(challenge)"
    }
}

/// CHAL_REPLY: the digest of the received challenge, in hex.
public struct ChallengeReplyRequest: Request {
    public static let type = RequestType.challengeReply

    public var hash: String

    public init(hash: String) {
        self.hash = hash
    }

    /// Parses `%*d %2048s`.
    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        var scanner = RequestScanner(line, request: Self.type)
        _ = try scanner.decimal("request number")
        let hash = try scanner.string("hash")
        return Self(hash: hash)
    }

    public var line: String {
        "\(Self.type.rawValue) \(hash)"
    }
}

/// ACK: the sender's UDP port, its estimate of the connection's weight and its option bits.
public struct AckRequest: Request {
    public static let type = RequestType.ack

    /// The port as a string, as tinc carries it (a service name is possible).
    public var port: String
    public var weight: Int32
    public var options: UInt32

    public init(port: String, weight: Int32, options: UInt32) {
        self.port = port
        self.weight = weight
        self.options = options
    }

    /// Parses `%*d %2048s %d %x`.
    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        var scanner = RequestScanner(line, request: Self.type)
        _ = try scanner.decimal("request number")
        let port = try scanner.string("port")
        let weight = try scanner.decimal("weight")
        let options = try scanner.hexadecimal("options")
        return Self(port: port, weight: weight, options: options)
    }

    public var line: String {
        "\(Self.type.rawValue) \(port) \(weight) \(hex(options))"
    }
}
