/// Chooses the peers this node makes outgoing meta connections to (`ConnectTo`).
///
/// All node names, ours included, are sorted by their bytes into a ring, and each node connects
/// to the next N names after its own. Every node computes the same ring from the same listing,
/// so no coordination is needed, and:
/// - each node has at most N outgoing meta connections plus the incoming ones from the N nodes
///   before it, so the load stays even however large the network grows;
/// - the meta graph stays connected: the ring itself is connected, and with N >= 2 every node
///   also links to the node two places on, so any single node can leave (or die) before the
///   others learn about it from etcd without splitting the graph;
/// - tinc still sends data directly between any two nodes over UDP, because the edges that
///   travel over the meta graph tell every node every other node's address. The ring limits
///   only the TCP meta connections, not who can talk to whom.
public enum ConnectToRing {
    /// Returns up to `count` names that follow `myself` in the ring of `names` (ours is added
    /// when missing), fewer when the network has fewer other nodes.
    public static func choose(names: some Sequence<String>, myself: String, count: Int) -> [String] {
        var ring = Set(names)
        ring.insert(myself)
        let sorted = ring.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard let position = sorted.firstIndex(of: myself) else { return [] }

        let peerCount = min(max(count, 0), sorted.count - 1)
        return (0..<peerCount).map { offset in sorted[(position + 1 + offset) % sorted.count] }
    }
}
