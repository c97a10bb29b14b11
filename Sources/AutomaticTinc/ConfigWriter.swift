import TincBase

/// The text of tinc.conf, tinc-up and tinc-down for one node. The files form a directory that
/// upstream tincd 1.0.36 can run as is (`tincd -n NETWORK` or `tincd -c DIR`).
public struct NodeFiles: Sendable, Equatable {
    public var name: String
    public var interface: String
    public var port: Int
    public var vpnAddress: IPv4Address
    public var network: IPv4Network
    public var connectTo: [String]

    public init(name: String, interface: String, port: Int, vpnAddress: IPv4Address, network: IPv4Network,
                connectTo: [String]) {
        self.name = name
        self.interface = interface
        self.port = port
        self.vpnAddress = vpnAddress
        self.network = network
        self.connectTo = connectTo
    }

    static let header = "# Written by automatic-tinc, which overwrites changes.\n"

    /// tinc.conf. `AddressFamily` is left at tinc's default (any), so peers whose public
    /// address is IPv6 can be reached too.
    public func renderTincConf() -> String {
        var text = NodeFiles.header
        text += "Name = \(name)\n"
        text += "Interface = \(interface)\n"
        if port != 655 {
            text += "Port = \(port)\n"
        }
        for peer in connectTo {
            text += "ConnectTo = \(peer)\n"
        }
        return text
    }

    /// tinc-up: brings the interface up with our VPN address and the whole VPN network's prefix,
    /// so the kernel routes the network into the tunnel. tincd sets $INTERFACE.
    public func renderTincUp() -> String {
        "#!/bin/sh\n" + NodeFiles.header
            + "ip link set \"$INTERFACE\" up\n"
            + "ip addr add \(vpnAddress)/\(network.prefixLength) dev \"$INTERFACE\"\n"
    }

    /// tinc-down: undoes tinc-up in reverse order.
    public func renderTincDown() -> String {
        "#!/bin/sh\n" + NodeFiles.header
            + "ip addr del \(vpnAddress)/\(network.prefixLength) dev \"$INTERFACE\"\n"
            + "ip link set \"$INTERFACE\" down\n"
    }
}

/// Writes the files of one tinc configuration directory. Every file is written atomically and
/// only when its content changes, so tincd never reads half a file and unchanged files keep
/// their modification time.
public struct ConfigWriter: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public var hostsDirectory: String { directory + "/hosts" }
    public var privateKeyPath: String { directory + "/rsa_key.priv" }
    public var statePath: String { directory + "/automatic-tinc.state" }

    public func hostPath(_ name: String) -> String { hostsDirectory + "/" + name }

    /// Creates the directory and hosts/ when missing.
    public func prepare() throws(FileError) {
        try FileIO.makeDirectories(hostsDirectory, mode: 0o755)
    }

    /// Writes tinc.conf, tinc-up and tinc-down. Returns true when tinc.conf changed.
    @discardableResult
    public func writeNodeFiles(_ files: NodeFiles) throws(FileError) -> Bool {
        try FileIO.writeIfChanged(directory + "/tinc-up", contents: files.renderTincUp(), mode: 0o755)
        try FileIO.writeIfChanged(directory + "/tinc-down", contents: files.renderTincDown(), mode: 0o755)
        return try FileIO.writeIfChanged(directory + "/tinc.conf", contents: files.renderTincConf(), mode: 0o644)
    }

    /// Writes hosts/NAME. Returns true when it changed.
    @discardableResult
    public func writeHost(_ name: String, text: String) throws(FileError) -> Bool {
        precondition(NodeName.isValid(name), "host file name must be a valid node name")
        return try FileIO.writeIfChanged(hostPath(name), contents: text, mode: 0o644)
    }

    /// Removes hosts/NAME. Returns false when it did not exist.
    @discardableResult
    public func removeHost(_ name: String) throws(FileError) -> Bool {
        precondition(NodeName.isValid(name), "host file name must be a valid node name")
        return try FileIO.remove(hostPath(name))
    }

    /// Returns the names of the files in hosts/ that are node names. Other files, such as a
    /// temporary file left by a crash, are not host files that tincd reads, so they are left alone.
    public func hostNames() throws(FileError) -> [String] {
        try FileIO.list(hostsDirectory).filter(NodeName.isValid).sorted()
    }

    /// Returns the text of hosts/NAME, or nil when it does not exist.
    public func readHost(_ name: String) throws(FileError) -> String? {
        try FileIO.readText(hostPath(name))
    }
}
