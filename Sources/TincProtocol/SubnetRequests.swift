import TincBase

// Subnets: ADD_SUBNET and DEL_SUBNET, broadcast to every node (tinc 1.0.36 protocol_subnet.c).

/// ADD_SUBNET: `10 NONCE OWNER SUBNET`, the owner announcing a subnet.
public struct AddSubnetRequest: Request {
    public static let type = RequestType.addSubnet

    public var nonce: UInt32
    public var owner: String
    /// The subnet as it appeared on the line. The handler decides what to do when it does not
    /// parse ("invalid subnet string").
    public var subnetString: String

    public init(nonce: UInt32 = Self.nonce(), owner: String, subnetString: String) {
        self.nonce = nonce
        self.owner = owner
        self.subnetString = subnetString
    }

    public init(nonce: UInt32 = Self.nonce(), owner: String, subnet: Subnet) {
        self.init(nonce: nonce, owner: owner, subnetString: subnet.protocolString)
    }

    /// Parses `%*d %x %2048s %2048s`.
    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        let fields = try parseSubnetRequest(line, Self.type)
        return Self(nonce: fields.nonce, owner: fields.owner, subnetString: fields.subnet)
    }

    public var line: String {
        "\(Self.type.rawValue) \(hex(nonce)) \(owner) \(subnetString)"
    }

    /// The parsed subnet (tinc's str2net), or nil when the string is invalid.
    public var subnet: Subnet? { Subnet.parse(subnetString) }

    public var namesAreValid: Bool { NodeName.isValid(owner) }
}

/// DEL_SUBNET: `11 NONCE OWNER SUBNET`, the owner withdrawing a subnet.
public struct DelSubnetRequest: Request {
    public static let type = RequestType.delSubnet

    public var nonce: UInt32
    public var owner: String
    /// The subnet as it appeared on the line, parsed or not.
    public var subnetString: String

    public init(nonce: UInt32 = Self.nonce(), owner: String, subnetString: String) {
        self.nonce = nonce
        self.owner = owner
        self.subnetString = subnetString
    }

    public init(nonce: UInt32 = Self.nonce(), owner: String, subnet: Subnet) {
        self.init(nonce: nonce, owner: owner, subnetString: subnet.protocolString)
    }

    /// Parses `%*d %x %2048s %2048s`.
    public static func parse(_ line: Substring) throws(ProtocolError) -> Self {
        let fields = try parseSubnetRequest(line, Self.type)
        return Self(nonce: fields.nonce, owner: fields.owner, subnetString: fields.subnet)
    }

    public var line: String {
        "\(Self.type.rawValue) \(hex(nonce)) \(owner) \(subnetString)"
    }

    /// The parsed subnet (tinc's str2net), or nil when the string is invalid.
    public var subnet: Subnet? { Subnet.parse(subnetString) }

    public var namesAreValid: Bool { NodeName.isValid(owner) }
}

private func parseSubnetRequest(_ line: Substring, _ type: RequestType)
    throws(ProtocolError) -> (nonce: UInt32, owner: String, subnet: String)
{
    var scanner = RequestScanner(line, request: type)
    _ = try scanner.decimal("request number")
    let nonce = try scanner.hexadecimal("nonce")
    let owner = try scanner.string("owner")
    let subnet = try scanner.string("subnet")
    return (nonce, owner, subnet)
}
