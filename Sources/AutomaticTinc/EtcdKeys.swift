/// The etcd key layout of one network. The `addresses/` and `configs/` keys are those of the
/// original automatic-tinc shell script, so nodes running it and nodes running this program can
/// share one cluster. `alive/` is new and old nodes ignore it.
public struct EtcdKeys: Sendable, Equatable {
    public let network: String

    public init(network: String) {
        self.network = network
    }

    /// "/tinc-vpn.org/NETWORK/".
    public var root: String { "/tinc-vpn.org/\(network)/" }

    /// `addresses/N` = NAME, where N is the VPN address as a decimal integer.
    public var addressesPrefix: String { root + "addresses/" }
    /// `configs/NAME` = the node's host file.
    public var configsPrefix: String { root + "configs/" }
    /// `alive/NAME` = the VPN address, an expiring key that exists while the node runs.
    public var alivePrefix: String { root + "alive/" }

    public func addressKey(_ address: IPv4Address) -> String { addressesPrefix + address.decimal }
    public func configKey(_ name: String) -> String { configsPrefix + name }
    public func aliveKey(_ name: String) -> String { alivePrefix + name }

    /// Returns the part of `key` after `prefix`, or nil when the key is not under it.
    public static func lastComponent(of key: String, under prefix: String) -> String? {
        guard key.hasPrefix(prefix) else { return nil }
        return String(key.dropFirst(prefix.count))
    }
}
