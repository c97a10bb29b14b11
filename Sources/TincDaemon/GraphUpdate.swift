import EventLoop
import TincBase
import TincGraph
import TincPacket

extension Daemon {
    /// Recomputes routes and the minimum spanning tree after any change to the edges, and acts
    /// on every node whose reachability changed (tinc 1.0.36 graph.c graph()).
    func runGraph() {
        subnets.flushCache()
        let routes = graph.shortestPaths(from: myself.name)

        // Apply the new routes; nodes that only appear in edges are created here.
        for name in routes.keys where nodes[name] == nil {
            nodes[name] = Node(name: name)
        }
        var changed: [Node] = []
        for name in nodes.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let node = nodes[name]!
            if node === myself { continue }
            if let route = routes[name] {
                node.nexthop = nodes[route.nexthop]
                node.via = nodes[route.via]
                node.indirect = route.indirect
                node.prevEdge = route.prevEdge
                node.options = route.options
                if node.udpAddress == nil, let edge = route.prevEdge, let address = SocketAddress.numeric(edge.address, edge.port) {
                    updateNodeUDP(node, address)
                }
            }
            let reachable = routes[name] != nil
            if reachable != node.reachable {
                node.reachable = reachable
                changed.append(node)
            }
        }

        for node in changed {
            if node.reachable {
                Log.debug(.traffic, .debug, "Node \(node.name) (\(node.hostname)) became reachable")
            } else {
                Log.debug(.traffic, .debug, "Node \(node.name) (\(node.hostname)) became unreachable")
            }
            node.resetPathState()
            node.sealer = nil
            if let timer = node.mtuTimer {
                loop.cancel(timer)
                node.mtuTimer = nil
            }

            var environment = baseEnvironment()
            environment["NODE"] = node.name
            environment["REMOTEADDRESS"] = node.udpAddress?.host ?? "unknown"
            environment["REMOTEPORT"] = node.udpAddress.map { String($0.port) } ?? "unknown"
            runScript(node.reachable ? "host-up" : "host-down", environment: environment)
            runScript(node.reachable ? "hosts/\(node.name)-up" : "hosts/\(node.name)-down", environment: environment)

            runSubnetScripts(owner: node, subnets: subnets.subnets(of: node.name), up: node.reachable)

            if !node.reachable {
                updateNodeUDP(node, nil)
                node.opener = nil
                node.previousOpener = nil
                node.nexthop = nil
                node.via = nil
                node.prevEdge = nil
                node.options = 0
            } else if node.connection != nil {
                _ = sendAnsKey(node)
            }
        }

        updateMinimumSpanningTree()
    }

    private func updateMinimumSpanningTree() {
        let reachable = Set(nodes.values.filter { $0.reachable }.map { $0.name })
        let tree = graph.minimumSpanningTree(reachable: reachable)
        for connection in connections.values {
            guard let edge = connection.edge else {
                connection.inMinimumSpanningTree = false
                continue
            }
            connection.inMinimumSpanningTree = tree.contains(EdgeKey(from: edge.from, to: edge.to))
                || tree.contains(EdgeKey(from: edge.to, to: edge.from))
        }
    }
}
