import Etcd

/// `automatic-tinc list`: every node that has a key under `configs/` or `addresses/`.
public enum ListCommand {
    public struct Row: Sendable, Equatable {
        public var name: String
        /// Every address under `addresses/` that names the node, in order; normally one.
        public var vpnAddresses: [IPv4Address]
        /// The first `Address` of the node's host file.
        public var publicAddress: String?
        /// True while `alive/NAME` exists. Nodes running the old shell script never write it.
        public var alive: Bool
    }

    public static func run(store: any EtcdStore, keys: EtcdKeys) throws(EtcdError) -> String {
        let configs = try store.list(prefix: keys.configsPrefix).values
        let addresses = try store.list(prefix: keys.addressesPrefix).values
        let alive = try store.list(prefix: keys.alivePrefix).values
        return render(rows(configs: configs, addresses: addresses, alive: alive, keys: keys))
    }

    public static func rows(configs: [EtcdKeyValue], addresses: [EtcdKeyValue], alive: [EtcdKeyValue],
                            keys: EtcdKeys) -> [Row] {
        var rows: [String: Row] = [:]
        func row(_ name: String) -> Row {
            rows[name] ?? Row(name: name, vpnAddresses: [], publicAddress: nil, alive: false)
        }

        for entry in configs {
            guard let name = EtcdKeys.lastComponent(of: entry.key, under: keys.configsPrefix) else { continue }
            var updated = row(name)
            updated.publicAddress = HostFile.firstAddress(in: entry.value)
            rows[name] = updated
        }
        for entry in addresses {
            guard let suffix = EtcdKeys.lastComponent(of: entry.key, under: keys.addressesPrefix),
                  let address = IPv4Address(decimal: suffix) else { continue }
            var updated = row(entry.value)
            updated.vpnAddresses.append(address)
            updated.vpnAddresses.sort()
            rows[entry.value] = updated
        }
        for entry in alive {
            guard let name = EtcdKeys.lastComponent(of: entry.key, under: keys.alivePrefix), rows[name] != nil else { continue }
            rows[name]?.alive = true
        }
        return rows.values.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// Renders the rows as a table with a header line, columns padded with spaces.
    public static func render(_ rows: [Row]) -> String {
        let header = ["NAME", "VPN ADDRESS", "PUBLIC ADDRESS", "ALIVE"]
        let cells = rows.map { row in
            [
                row.name,
                row.vpnAddresses.isEmpty ? "-" : row.vpnAddresses.map(\.description).joined(separator: ","),
                row.publicAddress ?? "-",
                row.alive ? "yes" : "no",
            ]
        }
        let all = [header] + cells
        let widths = (0..<header.count).map { column in all.map { $0[column].count }.max() ?? 0 }

        var text = ""
        for line in all {
            var fields: [String] = []
            for (column, cell) in line.enumerated() {
                let isLast = column == line.count - 1
                fields.append(isLast ? cell : cell + String(repeating: " ", count: widths[column] - cell.count))
            }
            text += fields.joined(separator: "  ") + "\n"
        }
        return text
    }
}

/// `automatic-tinc forget NAME`: deletes the node's address keys, `configs/NAME` and
/// `alive/NAME`, so its address can be given to a new node.
public enum ForgetCommand {
    /// Returns one line per deleted key, and a warning when the node still runs; an empty result
    /// means the node has no keys.
    public static func run(name: String, store: any EtcdStore, keys: EtcdKeys) throws(EtcdError) -> [String] {
        // A running node publishes its config and address again, so forgetting it has no lasting effect.
        let running = try store.get(keys.aliveKey(name)) != nil
        var deleted: [String] = []
        for entry in try store.list(prefix: keys.addressesPrefix).values where entry.value == name {
            try store.delete(entry.key)
            let suffix = EtcdKeys.lastComponent(of: entry.key, under: keys.addressesPrefix) ?? ""
            let address = IPv4Address(decimal: suffix).map { " (\($0))" } ?? ""
            deleted.append("Deleted \(entry.key)\(address)")
        }
        for key in [keys.configKey(name), keys.aliveKey(name)] {
            if try store.get(key) != nil {
                try store.delete(key)
                deleted.append("Deleted \(key)")
            }
        }
        if running {
            deleted.append("Warning: \(name) is running and will register itself again; stop it before forgetting it")
        }
        return deleted
    }
}
