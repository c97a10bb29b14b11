/// The route from the source to one node: the fields that tinc 1.0.36's sssp_bfs sets in a node_t.
public struct Route: Sendable, Equatable {
    /// The neighbour of the source through which packets to this node go.
    public var nexthop: String
    /// The last node on the path that can be reached by UDP directly: the node itself unless some
    /// edge on the path is indirect.
    public var via: String
    /// True when the path has an edge with `EdgeOption.indirect`.
    public var indirect: Bool
    /// The edge by which the search last reached this node. nil for the source.
    public var prevEdge: Edge?
    /// The options of `prevEdge`. 0 for the source, which keeps its own options.
    public var options: UInt32

    public init(nexthop: String, via: String, indirect: Bool, prevEdge: Edge?, options: UInt32) {
        self.nexthop = nexthop
        self.via = via
        self.indirect = indirect
        self.prevEdge = prevEdge
        self.options = options
    }
}

extension Graph {
    /// Finds the route to every node reachable from `source`. Nodes missing from the result are
    /// unreachable.
    public func shortestPaths(from source: String) -> [String: Route] {
        shortestPaths(from: source) { _ in }
    }

    /// Finds routes as `shortestPaths(from:)` does, and calls `visit` with the edge each time the
    /// search sets a node's route, in the search's order.
    ///
    /// tinc takes a node's UDP address from the first such edge with a numeric address when the
    /// node has none yet, and `visit` lets the daemon do the same.
    ///
    /// The search is tinc's sssp_bfs, breadth first with a FIFO queue. A node's edges are taken in
    /// order of `to`, and an edge counts only when its reverse edge exists. A node reached by an
    /// indirect path is reached again, and queued again, when a direct path turns up later. Its
    /// nexthop stays the one from the first visit.
    public func shortestPaths(from source: String, visiting visit: (Edge) -> Void) -> [String: Route] {
        var routes: [String: Route] = [
            source: Route(nexthop: source, via: source, indirect: false, prevEdge: nil, options: 0),
        ]
        var queue = [source]
        var next = 0

        while next < queue.count {
            let name = queue[next]
            next += 1

            // A node's route can change after it was queued. tinc reads it when it is dequeued.
            guard let route = routes[name] else { continue }

            for edge in edges(from: name) where hasReverse(edge) {
                let indirect = route.indirect || edge.options & EdgeOption.indirect != 0
                let known = routes[edge.to]

                // Reach a node again only to replace an indirect route with a direct one.
                if let known, !known.indirect || indirect { continue }

                let nexthop = known?.nexthop ?? (sameBytes(route.nexthop, source) ? edge.to : route.nexthop)
                routes[edge.to] = Route(nexthop: nexthop,
                                        via: indirect ? route.via : edge.to,
                                        indirect: indirect,
                                        prevEdge: edge,
                                        options: edge.options)
                visit(edge)
                queue.append(edge.to)
            }
        }
        return routes
    }
}
