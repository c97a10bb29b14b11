extension Graph {
    /// Finds the edges of the minimum spanning tree that broadcasts follow, as tinc 1.0.36's
    /// mst_kruskal does. Each tree edge is returned in both directions, so the daemon can look up
    /// the edge from itself to a peer.
    ///
    /// The tree grows from the `from` node of the lightest edge whose `from` is in `reachable`.
    /// Edges are taken in weight order; one counts when its reverse exists and exactly one of its
    /// ends is already in the tree. After adding an edge that follows a skipped one, the scan
    /// starts over from the lightest edge, because a skipped edge may now join the tree.
    public func minimumSpanningTree(reachable: Set<String>) -> Set<EdgeKey> {
        let edges = allEdges
        guard let start = edges.first(where: { reachable.contains($0.from) }) else { return [] }

        // Number the nodes, so the restarting scan below works on arrays.
        var indexByName: [String: Int] = [:]
        func index(_ name: String) -> Int {
            if let known = indexByName[name] { return known }
            let new = indexByName.count
            indexByName[name] = new
            return new
        }
        let ends = edges.map { (from: index($0.from), to: index($0.to), hasReverse: hasReverse($0)) }

        var inTree = [Bool](repeating: false, count: indexByName.count)
        inTree[index(start.from)] = true

        var tree = Set<EdgeKey>()
        var skipped = false
        var position = 0
        while position < ends.count {
            let end = ends[position]
            let edge = edges[position]
            position += 1

            if !end.hasReverse || inTree[end.from] == inTree[end.to] {
                skipped = true
                continue
            }

            inTree[end.from] = true
            inTree[end.to] = true
            tree.insert(EdgeKey(from: edge.from, to: edge.to))
            tree.insert(EdgeKey(from: edge.to, to: edge.from))

            if skipped {
                skipped = false
                position = 0
            }
        }
        return tree
    }
}
