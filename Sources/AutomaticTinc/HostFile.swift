import TincConfig

/// This node's host file: what hosts/NAME contains on disk and what `configs/NAME` contains in
/// etcd, byte for byte, so that a peer writes the value it reads as its hosts/NAME unchanged.
public struct HostFile: Sendable, Equatable {
    public var publicAddress: String
    public var vpnAddress: IPv4Address
    public var port: Int
    /// The "-----BEGIN RSA PUBLIC KEY-----" block, as `RSAKey.publicKeyPEM()` returns it.
    public var publicKeyPEM: String

    public init(publicAddress: String, vpnAddress: IPv4Address, port: Int, publicKeyPEM: String) {
        self.publicAddress = publicAddress
        self.vpnAddress = vpnAddress
        self.port = port
        self.publicKeyPEM = publicKeyPEM
    }

    /// `Port` is written only when it differs from tinc's default 655, as the shell script did.
    public func render() -> String {
        var text = "Address = \(publicAddress)\n"
        text += "Subnet = \(vpnAddress)/32\n"
        if port != 655 {
            text += "Port = \(port)\n"
        }
        text += "\n"
        text += publicKeyPEM
        if !publicKeyPEM.hasSuffix("\n") {
            text += "\n"
        }
        return text
    }

    /// Returns the first `Address` of a host file's text, or nil when the text does not parse
    /// or has none.
    public static func firstAddress(in text: String) -> String? {
        guard let config = try? ConfigParser.parse(text: text, file: "host file") else { return nil }
        return config.string("Address")
    }
}
