import TincBase
import TincGraph
import TincProtocol

/// ADD_EDGE and DEL_EDGE (tinc 1.0.36 protocol_edge.c): every node tells every other which meta
/// connections it has, so that all of them compute the same graph.
extension Daemon {
    /// Sends an edge to one connection, or to every active one when `connection` is nil.
    func sendAddEdge(to connection: Connection?, _ edge: Edge) {
        let line = AddEdgeRequest(nonce: AddEdgeRequest.nonce(), from: edge.from, to: edge.to, address: edge.address,
                                  port: edge.port, options: edge.options, weight: edge.weight).line
        if let connection { sendRequest(connection, line) } else { broadcastRequest(line, except: nil) }
    }

    func sendDelEdge(to connection: Connection?, _ edge: Edge) {
        let line = DelEdgeRequest(nonce: DelEdgeRequest.nonce(), from: edge.from, to: edge.to).line
        if let connection { sendRequest(connection, line) } else { broadcastRequest(line, except: nil) }
    }

    func handleAddEdge(_ line: Substring, _ connection: Connection) -> Bool {
        guard let request = parseRequest(AddEdgeRequest.self, line, connection) else { return false }
        // An edge from a node to itself would make the graph lie about reachability (1.0.35).
        guard request.namesAreValid else {
            Log.error("Got bad ADD_EDGE from \(connection.name) (\(connection.hostname)): invalid name")
            return false
        }
        if seenRequests.seen(line, now: Int(now)) { return true }

        let from = lookupOrCreateNode(request.from)
        let to = lookupOrCreateNode(request.to)
        let edge = Edge(from: from.name, to: to.name, address: request.address, port: request.port,
                        options: request.options, weight: request.weight)

        if let existing = graph.edge(from: from.name, to: to.name) {
            if existing == edge { return true }
            if from === myself {
                Log.debug(.protocol, .warning, "Got ADD_EDGE from \(connection.name) (\(connection.hostname)) for ourself which does not match existing entry")
                sendAddEdge(to: connection, existing)
                return true
            }
            Log.debug(.protocol, .warning, "Got ADD_EDGE from \(connection.name) (\(connection.hostname)) which does not match existing entry")
            graph.add(edge)
        } else if from === myself {
            Log.debug(.protocol, .warning, "Got ADD_EDGE from \(connection.name) (\(connection.hostname)) for ourself which does not exist")
            contradictingAddEdge += 1
            sendDelEdge(to: connection, edge)
            return true
        } else {
            graph.add(edge)
        }

        forwardRequest(line, from: connection)
        runGraph()
        return true
    }

    func handleDelEdge(_ line: Substring, _ connection: Connection) -> Bool {
        guard let request = parseRequest(DelEdgeRequest.self, line, connection) else { return false }
        guard request.namesAreValid else {
            Log.error("Got bad DEL_EDGE from \(connection.name) (\(connection.hostname)): invalid name")
            return false
        }
        if seenRequests.seen(line, now: Int(now)) { return true }

        guard let from = lookupNode(request.from), let to = lookupNode(request.to),
              let edge = graph.edge(from: from.name, to: to.name) else {
            Log.debug(.protocol, .warning, "Got DEL_EDGE from \(connection.name) (\(connection.hostname)) which does not appear in the edge tree")
            return true
        }
        if from === myself {
            Log.debug(.protocol, .warning, "Got DEL_EDGE from \(connection.name) (\(connection.hostname)) for ourself")
            contradictingDelEdge += 1
            sendAddEdge(to: connection, edge)
            return true
        }

        forwardRequest(line, from: connection)
        graph.remove(from: from.name, to: to.name)
        runGraph()

        // A node that became unreachable may still have an edge to us: remove it everywhere.
        if !to.reachable, let back = graph.edge(from: to.name, to: myself.name) {
            sendDelEdge(to: nil, back)
            graph.remove(from: back.from, to: back.to)
        }
        return true
    }
}
