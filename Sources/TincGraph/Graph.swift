// The graph of meta connections that every node learns from ADD_EDGE and DEL_EDGE, and the two
// trees tinc 1.0.36 derives from it (graph.c): shortest paths for unicast and a minimum spanning
// tree for broadcast. Nodes are plain names here. The daemon keeps its own per-node state.
//
// Names are ordered and compared by their UTF-8 bytes, as tinc's strcmp does. Dictionary keys use
// Swift's `String` equality, which matches strcmp for the ASCII names that check_id accepts.

/// Option bits carried by edges and ACK requests (tinc 1.0.36 connection.h).
public enum EdgeOption {
    /// The node is reached through others only: no direct UDP.
    public static let indirect: UInt32 = 0x0001
    public static let tcpOnly: UInt32 = 0x0002
    public static let pmtuDiscovery: UInt32 = 0x0004
    public static let clampMSS: UInt32 = 0x0008
}

/// A directed meta connection from `from` to `to`, as one ADD_EDGE announces it.
public struct Edge: Sendable, Equatable {
    public var from: String
    public var to: String
    /// The address at which `from` reaches `to`, as text (numeric, or a name tinc did not resolve).
    public var address: String
    public var port: String
    public var options: UInt32
    public var weight: Int32

    public init(from: String, to: String, address: String, port: String, options: UInt32, weight: Int32) {
        self.from = from
        self.to = to
        self.address = address
        self.port = port
        self.options = options
        self.weight = weight
    }

    public var key: EdgeKey { EdgeKey(from: from, to: to) }
}

/// The identity of a directed edge: there is at most one edge from one node to another.
public struct EdgeKey: Hashable, Sendable {
    public var from: String
    public var to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}

/// Every known edge, indexed by origin and by weight as tinc's per-node edge_tree and
/// edge_weight_tree are.
public final class Graph {
    /// Outgoing edges by origin, each list sorted by `to`.
    private var outgoing: [String: [Edge]] = [:]
    /// All edges sorted by weight, then `from`, then `to`.
    private var byWeight: [Edge] = []

    public init() {}

    /// Adds `edge`, replacing an existing edge with the same `from` and `to`.
    public func add(_ edge: Edge) {
        remove(from: edge.from, to: edge.to)

        var list = outgoing[edge.from, default: []]
        list.insert(edge, at: list.partitioningIndex { !byteOrder($0.to, edge.to) })
        outgoing[edge.from] = list

        byWeight.insert(edge, at: byWeight.partitioningIndex { !weightOrder($0, edge) })
    }

    /// Removes the edge from `from` to `to` and returns it, or returns nil when there is none.
    @discardableResult
    public func remove(from: String, to: String) -> Edge? {
        guard var list = outgoing[from], let index = Self.index(of: to, in: list) else { return nil }
        let edge = list.remove(at: index)
        outgoing[from] = list.isEmpty ? nil : list

        let position = byWeight.partitioningIndex { !weightOrder($0, edge) }
        byWeight.remove(at: position)
        return edge
    }

    public func edge(from: String, to: String) -> Edge? {
        guard let list = outgoing[from], let index = Self.index(of: to, in: list) else { return nil }
        return list[index]
    }

    /// Returns the edges leaving `from`, ordered by `to`.
    public func edges(from: String) -> [Edge] {
        outgoing[from] ?? []
    }

    /// Every edge, ordered by weight, then `from`, then `to`: the order of tinc's edge_weight_tree.
    public var allEdges: [Edge] { byWeight }

    public var isEmpty: Bool { byWeight.isEmpty }

    /// Every name that appears at either end of an edge, sorted.
    public var nodeNames: [String] {
        var names = Set<String>()
        for edge in byWeight {
            names.insert(edge.from)
            names.insert(edge.to)
        }
        return names.sorted(by: byteOrder)
    }

    /// True when the edge from `edge.to` back to `edge.from` exists. tinc uses only such pairs.
    public func hasReverse(_ edge: Edge) -> Bool {
        self.edge(from: edge.to, to: edge.from) != nil
    }

    private static func index(of to: String, in list: [Edge]) -> Int? {
        let index = list.partitioningIndex { !byteOrder($0.to, to) }
        guard index < list.count, sameBytes(list[index].to, to) else { return nil }
        return index
    }
}

// MARK: - Ordering

/// strcmp order: true when `a` sorts before `b` by UTF-8 bytes.
func byteOrder(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

func sameBytes(_ a: String, _ b: String) -> Bool {
    a.utf8.elementsEqual(b.utf8)
}

/// tinc's edge_weight_compare: weight, then `from`, then `to`.
///
/// NOTE: tinc subtracts the weights as `int`, which overflows for weights of opposite sign and
/// large magnitude. This compares them without overflow, so order differs from tinc only for
/// weights that far apart.
func weightOrder(_ a: Edge, _ b: Edge) -> Bool {
    if a.weight != b.weight { return a.weight < b.weight }
    if !sameBytes(a.from, b.from) { return byteOrder(a.from, b.from) }
    return byteOrder(a.to, b.to)
}

extension Array {
    /// Returns the index of the first element for which `isInSecondPartition` is true, by binary
    /// search. All such elements must follow all others.
    func partitioningIndex(where isInSecondPartition: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = low + (high - low) / 2
            if isInSecondPartition(self[middle]) {
                high = middle
            } else {
                low = middle + 1
            }
        }
        return low
    }
}
