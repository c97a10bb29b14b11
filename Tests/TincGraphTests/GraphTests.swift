import XCTest
import TincGraph

/// Builds a graph from undirected links: each link adds an edge in both directions.
private func makeGraph(_ links: [(String, String, Int32)], indirect: Set<EdgeKey> = []) -> Graph {
    let graph = Graph()
    for (a, b, weight) in links {
        for (from, to) in [(a, b), (b, a)] {
            let options = indirect.contains(EdgeKey(from: from, to: to)) ? EdgeOption.indirect : 0
            graph.add(Edge(from: from, to: to, address: "192.0.2.1", port: "655", options: options, weight: weight))
        }
    }
    return graph
}

final class GraphTests: XCTestCase {
    // MARK: - Edge storage

    func testAddReplacesEdge() {
        let graph = Graph()
        graph.add(Edge(from: "a", to: "b", address: "192.0.2.1", port: "655", options: 0, weight: 5))
        graph.add(Edge(from: "a", to: "b", address: "192.0.2.2", port: "656", options: 1, weight: 7))
        XCTAssertEqual(graph.allEdges.count, 1)
        XCTAssertEqual(graph.edge(from: "a", to: "b")?.address, "192.0.2.2")
        XCTAssertEqual(graph.edge(from: "a", to: "b")?.weight, 7)
    }

    func testRemoveReturnsEdge() {
        let graph = makeGraph([("a", "b", 1)])
        XCTAssertEqual(graph.remove(from: "a", to: "b")?.to, "b")
        XCTAssertNil(graph.edge(from: "a", to: "b"))
        XCTAssertEqual(graph.allEdges.count, 1)
    }

    func testRemoveMissingEdge() {
        let graph = makeGraph([("a", "b", 1)])
        XCTAssertNil(graph.remove(from: "a", to: "c"))
    }

    func testEdgesOrderedByTo() {
        let graph = makeGraph([("hub", "zeta", 1), ("hub", "Beta", 1), ("hub", "alpha", 1)])
        // strcmp order puts uppercase before lowercase.
        XCTAssertEqual(graph.edges(from: "hub").map(\.to), ["Beta", "alpha", "zeta"])
    }

    func testAllEdgesOrderedByWeight() {
        let graph = makeGraph([("c", "d", 2), ("a", "b", 2), ("b", "c", 1)])
        let order = graph.allEdges.map { "\($0.from)>\($0.to)" }
        XCTAssertEqual(order, ["b>c", "c>b", "a>b", "b>a", "c>d", "d>c"])
    }

    func testNodeNamesSorted() {
        let graph = makeGraph([("c", "a", 1), ("b", "a", 1)])
        XCTAssertEqual(graph.nodeNames, ["a", "b", "c"])
    }

    // MARK: - Shortest paths

    func testLineOfThree() {
        let routes = makeGraph([("a", "b", 1), ("b", "c", 1)]).shortestPaths(from: "a")
        XCTAssertEqual(routes["b"]?.nexthop, "b")
        XCTAssertEqual(routes["c"]?.nexthop, "b")
        XCTAssertEqual(routes["c"]?.via, "c")
        XCTAssertEqual(routes["c"]?.prevEdge?.from, "b")
        XCTAssertEqual(routes["c"]?.indirect, false)
    }

    func testSourceRoute() {
        let routes = makeGraph([("a", "b", 1)]).shortestPaths(from: "a")
        XCTAssertEqual(routes["a"], Route(nexthop: "a", via: "a", indirect: false, prevEdge: nil, options: 0))
    }

    func testSourceWithoutEdges() {
        let routes = Graph().shortestPaths(from: "a")
        XCTAssertEqual(Array(routes.keys), ["a"])
    }

    func testTriangleGoesDirect() {
        let routes = makeGraph([("a", "b", 1), ("b", "c", 1), ("a", "c", 9)]).shortestPaths(from: "a")
        XCTAssertEqual(routes["b"]?.nexthop, "b")
        XCTAssertEqual(routes["c"]?.nexthop, "c")
        XCTAssertEqual(routes["c"]?.prevEdge?.from, "a")
    }

    func testStarFromLeaf() {
        let routes = makeGraph([("hub", "l1", 1), ("hub", "l2", 1), ("hub", "l3", 1)]).shortestPaths(from: "l1")
        XCTAssertEqual(routes.count, 4)
        XCTAssertEqual(routes["hub"]?.nexthop, "hub")
        XCTAssertEqual(routes["l2"]?.nexthop, "hub")
        XCTAssertEqual(routes["l3"]?.nexthop, "hub")
    }

    func testIndirectEdgeSetsVia() {
        let graph = makeGraph([("a", "b", 1), ("b", "c", 1)], indirect: [EdgeKey(from: "b", to: "c")])
        let routes = graph.shortestPaths(from: "a")
        XCTAssertEqual(routes["c"]?.indirect, true)
        XCTAssertEqual(routes["c"]?.via, "b")
        XCTAssertEqual(routes["c"]?.nexthop, "b")
        XCTAssertEqual(routes["c"]?.options, EdgeOption.indirect)
    }

    func testIndirectPropagatesVia() {
        let graph = makeGraph([("a", "b", 1), ("b", "c", 1), ("c", "d", 1)], indirect: [EdgeKey(from: "b", to: "c")])
        let routes = graph.shortestPaths(from: "a")
        XCTAssertEqual(routes["d"]?.indirect, true)
        XCTAssertEqual(routes["d"]?.via, "b")
        XCTAssertEqual(routes["d"]?.options, 0)
    }

    func testIndirectNeighbourViaSource() {
        let graph = makeGraph([("a", "b", 1)], indirect: [EdgeKey(from: "a", to: "b")])
        XCTAssertEqual(graph.shortestPaths(from: "a")["b"]?.via, "a")
    }

    func testDirectPathReplacesIndirect() {
        // a reaches b first over the indirect a->b, then directly through c. The second visit
        // makes b direct but keeps the nexthop of the first.
        let graph = makeGraph([("a", "b", 1), ("a", "c", 1), ("c", "b", 1)], indirect: [EdgeKey(from: "a", to: "b")])
        let route = graph.shortestPaths(from: "a")["b"]
        XCTAssertEqual(route?.indirect, false)
        XCTAssertEqual(route?.via, "b")
        XCTAssertEqual(route?.nexthop, "b")
        XCTAssertEqual(route?.prevEdge?.from, "c")
    }

    func testVisitOrder() {
        let graph = makeGraph([("a", "b", 1), ("a", "c", 1), ("c", "b", 1)], indirect: [EdgeKey(from: "a", to: "b")])
        var visits: [String] = []
        _ = graph.shortestPaths(from: "a") { visits.append("\($0.from)>\($0.to)") }
        XCTAssertEqual(visits, ["a>b", "a>c", "c>b"])
    }

    func testEdgeWithoutReverseIgnored() {
        let graph = Graph()
        graph.add(Edge(from: "a", to: "b", address: "192.0.2.1", port: "655", options: 0, weight: 1))
        XCTAssertNil(graph.shortestPaths(from: "a")["b"])
    }

    func testUnreachableAfterRemoval() {
        let graph = makeGraph([("a", "b", 1), ("b", "c", 1)])
        graph.remove(from: "c", to: "b")
        let routes = graph.shortestPaths(from: "a")
        XCTAssertNil(routes["c"])
        XCTAssertNotNil(routes["b"])
    }

    // MARK: - Minimum spanning tree

    func testSquareTree() {
        let graph = makeGraph([("a", "b", 1), ("b", "c", 2), ("c", "d", 3), ("d", "a", 4)])
        let tree = graph.minimumSpanningTree(reachable: ["a", "b", "c", "d"])
        XCTAssertTrue(tree.contains(EdgeKey(from: "a", to: "b")))
        XCTAssertTrue(tree.contains(EdgeKey(from: "b", to: "a")))
        XCTAssertTrue(tree.contains(EdgeKey(from: "b", to: "c")))
        XCTAssertTrue(tree.contains(EdgeKey(from: "c", to: "d")))
        XCTAssertFalse(tree.contains(EdgeKey(from: "d", to: "a")))
        XCTAssertFalse(tree.contains(EdgeKey(from: "a", to: "d")))
        XCTAssertEqual(tree.count, 6)
    }

    func testTreeRestartsAfterSkip() {
        // The scan starts at c, skips a-b while neither end is in the tree, adds b-c, and then
        // must start over to pick up a-b.
        let graph = makeGraph([("c", "d", 1), ("a", "b", 2), ("b", "c", 3)])
        let tree = graph.minimumSpanningTree(reachable: ["a", "b", "c", "d"])
        XCTAssertTrue(tree.contains(EdgeKey(from: "a", to: "b")))
        XCTAssertEqual(tree.count, 6)
    }

    func testTreeStartsAtReachableNode() {
        // x-y is lighter but unreachable, so the tree starts at a and never joins x and y.
        let graph = makeGraph([("x", "y", 1), ("a", "b", 2)])
        let tree = graph.minimumSpanningTree(reachable: ["a", "b"])
        XCTAssertEqual(tree, [EdgeKey(from: "a", to: "b"), EdgeKey(from: "b", to: "a")])
    }

    func testTreeSkipsEdgeWithoutReverse() {
        let graph = makeGraph([("a", "b", 2)])
        graph.add(Edge(from: "a", to: "c", address: "192.0.2.1", port: "655", options: 0, weight: 1))
        let tree = graph.minimumSpanningTree(reachable: ["a", "b"])
        XCTAssertFalse(tree.contains(EdgeKey(from: "a", to: "c")))
        XCTAssertTrue(tree.contains(EdgeKey(from: "a", to: "b")))
    }

    func testTreeEmptyWithoutReachable() {
        let graph = makeGraph([("a", "b", 1)])
        XCTAssertTrue(graph.minimumSpanningTree(reachable: []).isEmpty)
    }
}
