import TincBase
import TincGraph

/// What SIGUSR1 and SIGUSR2 write to the log, in the layout of tincd 1.0.36.
extension Daemon {
    func dumpConnections() {
        Log.write(.debug, "Connections:")
        for connection in connections.values.sorted(by: { $0.name < $1.name }) {
            let status = (connection.active ? 0x0001 : 0) | (connection.pinged ? 0x0002 : 0)
                | (connection.connecting ? 0x0020 : 0) | (connection.inMinimumSpanningTree ? 0x0040 : 0)
            Log.write(.debug, " \(connection.name) at \(connection.hostname) options \(String(connection.options, radix: 16)) socket \(connection.fd) status \(hex4(status)) outbuf \(connection.outBuffer.count)/\(connection.outStart)/\(connection.pendingOutput)")
        }
        Log.write(.debug, "End of connections.")
    }

    func dumpNodes() {
        Log.write(.debug, "Nodes:")
        for node in nodes.values.sorted(by: { $0.name < $1.name }) {
            let key = node.outKey
            let status = (node.validKey ? 0x0002 : 0) | (node.reachable ? 0x0010 : 0) | (node.indirect ? 0x0020 : 0)
            Log.write(.debug, " \(node.name) at \(node.hostname) cipher \(key?.cipher?.nid ?? 0) digest \(key?.digest?.nid ?? 0) maclength \(key?.macLength ?? 0) compression \(key?.compression ?? 0) options \(String(node.options, radix: 16)) status \(hex4(status)) nexthop \(node.nexthop?.name ?? "-") via \(node.via?.name ?? "-") pmtu \(node.mtu) (min \(node.minMTU) max \(node.maxMTU))")
        }
        Log.write(.debug, "End of nodes.")
    }

    func dumpEdges() {
        Log.write(.debug, "Edges:")
        for edge in graph.allEdges.sorted(by: { ($0.from, $0.to) < ($1.from, $1.to) }) {
            Log.write(.debug, " \(edge.from) to \(edge.to) at \(edge.address) port \(edge.port) options \(String(edge.options, radix: 16)) weight \(edge.weight)")
        }
        Log.write(.debug, "End of edges.")
    }

    func dumpSubnets() {
        Log.write(.debug, "Subnet list:")
        for entry in subnets.all {
            Log.write(.debug, " \(entry.subnet.protocolString) owner \(entry.owner)")
        }
        Log.write(.debug, "End of subnet list.")
    }

    private func hex4(_ value: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }
}
