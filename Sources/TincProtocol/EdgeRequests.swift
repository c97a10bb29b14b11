import TincBase

// Edges: ADD_EDGE and DEL_EDGE, broadcast to every node (tinc 1.0.36 protocol_edge.c).

/// ADD_EDGE: `12 NONCE FROM TO ADDRESS PORT OPTIONS WEIGHT`, a meta connection from FROM to TO,
/// with the address and port at which FROM reaches TO.
public struct AddEdgeRequest: Request {
    public static let type = RequestType.addEdge

    public var nonce: UInt32
    public var from: String
    public var to: String
    public var address: String
    public var port: String
    public var options: UInt32
    public var weight: Int32

    public init(nonce: UInt32 = Self.nonce(), from: String, to: String, address: String, port: String,
                options: UInt32, weight: Int32) {
        self.nonce = nonce
        self.from = from
        self.to = to
        self.address = address
        self.port = port
        self.options = options
        self.weight = weight
    }

    /// Parses `%*d %x %2048s %2048s %2048s %2048s %x %d`.
    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        var scanner = RequestScanner(line, request: Self.type)
        _ = try scanner.decimal("request number")
        let nonce = try scanner.hexadecimal("nonce")
        let from = try scanner.string("from name")
        let to = try scanner.string("to name")
        let address = try scanner.string("address")
        let port = try scanner.string("port")
        let options = try scanner.hexadecimal("options")
        let weight = try scanner.decimal("weight")
        return Self(nonce: nonce, from: from, to: to, address: address, port: port, options: options,
                    weight: weight)
    }

    public var line: String {
        "\(Self.type.rawValue) \(hex(nonce)) \(from) \(to) \(address) \(port) \(hex(options)) \(weight)"
    }

    /// True when both names pass tinc's check_id and differ.
    public var namesAreValid: Bool {
        NodeName.isValid(from) && NodeName.isValid(to) && !sameName(from, to)
    }
}

/// DEL_EDGE: `13 NONCE FROM TO`.
public struct DelEdgeRequest: Request {
    public static let type = RequestType.delEdge

    public var nonce: UInt32
    public var from: String
    public var to: String

    public init(nonce: UInt32 = Self.nonce(), from: String, to: String) {
        self.nonce = nonce
        self.from = from
        self.to = to
    }

    /// Parses `%*d %x %2048s %2048s`.
    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        var scanner = RequestScanner(line, request: Self.type)
        _ = try scanner.decimal("request number")
        let nonce = try scanner.hexadecimal("nonce")
        let from = try scanner.string("from name")
        let to = try scanner.string("to name")
        return Self(nonce: nonce, from: from, to: to)
    }

    public var line: String {
        "\(Self.type.rawValue) \(hex(nonce)) \(from) \(to)"
    }

    /// True when both names pass tinc's check_id and differ.
    public var namesAreValid: Bool {
        NodeName.isValid(from) && NodeName.isValid(to) && !sameName(from, to)
    }
}

/// Compares names byte for byte as strcmp does. Swift's `==` on strings uses canonical
/// equivalence, which could call two different byte sequences equal.
func sameName(_ a: String, _ b: String) -> Bool {
    a.utf8.elementsEqual(b.utf8)
}
