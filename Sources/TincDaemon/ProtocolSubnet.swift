import TincBase
import TincGraph
import TincProtocol

/// ADD_SUBNET and DEL_SUBNET (tinc 1.0.36 protocol_subnet.c).
extension Daemon {
    func sendAddSubnet(to connection: Connection?, owner: String, _ subnet: Subnet) {
        let line = AddSubnetRequest(nonce: AddSubnetRequest.nonce(), owner: owner, subnetString: subnet.protocolString).line
        if let connection { sendRequest(connection, line) } else { broadcastRequest(line, except: nil) }
    }

    func sendDelSubnet(to connection: Connection?, owner: String, _ subnet: Subnet) {
        let line = DelSubnetRequest(nonce: DelSubnetRequest.nonce(), owner: owner, subnetString: subnet.protocolString).line
        if let connection { sendRequest(connection, line) } else { broadcastRequest(line, except: nil) }
    }

    func handleAddSubnet(_ line: Substring, _ connection: Connection) -> Bool {
        guard let request = parseRequest(AddSubnetRequest.self, line, connection) else { return false }
        guard NodeName.isValid(request.owner) else {
            Log.error("Got bad ADD_SUBNET from \(connection.name) (\(connection.hostname)): invalid name")
            return false
        }
        guard let subnet = request.subnet else {
            Log.error("Got bad ADD_SUBNET from \(connection.name) (\(connection.hostname)): invalid subnet string")
            return false
        }
        if seenRequests.seen(line, now: Int(now)) { return true }

        let owner = lookupOrCreateNode(request.owner)
        if subnets.contains(subnet, owner: owner.name) { return true }

        // Someone claims a subnet of ours that we do not have: tell them it is gone.
        if owner === myself {
            Log.debug(.protocol, .warning, "Got ADD_SUBNET from \(connection.name) (\(connection.hostname)) for ourself")
            sendDelSubnet(to: connection, owner: myself.name, subnet)
            return true
        }

        subnets.add(subnet, owner: owner.name)
        if owner.reachable {
            runSubnetScripts(owner: owner, subnets: [subnet], up: true)
        }
        forwardRequest(line, from: connection)
        return true
    }

    func handleDelSubnet(_ line: Substring, _ connection: Connection) -> Bool {
        guard let request = parseRequest(DelSubnetRequest.self, line, connection) else { return false }
        guard NodeName.isValid(request.owner) else {
            Log.error("Got bad DEL_SUBNET from \(connection.name) (\(connection.hostname)): invalid name")
            return false
        }
        guard let subnet = request.subnet else {
            Log.error("Got bad DEL_SUBNET from \(connection.name) (\(connection.hostname)): invalid subnet string")
            return false
        }
        if seenRequests.seen(line, now: Int(now)) { return true }

        guard let owner = lookupNode(request.owner) else {
            Log.debug(.protocol, .warning, "Got DEL_SUBNET from \(connection.name) (\(connection.hostname)) for \(request.owner) which is not in our node tree")
            return true
        }
        guard subnets.contains(subnet, owner: owner.name) else {
            Log.debug(.protocol, .warning, "Got DEL_SUBNET from \(connection.name) (\(connection.hostname)) for \(owner.name) which does not appear in his subnet tree")
            return true
        }
        if owner === myself {
            Log.debug(.protocol, .warning, "Got DEL_SUBNET from \(connection.name) (\(connection.hostname)) for ourself")
            sendAddSubnet(to: connection, owner: myself.name, subnet)
            return true
        }

        forwardRequest(line, from: connection)
        if owner.reachable {
            runSubnetScripts(owner: owner, subnets: [subnet], up: false)
        }
        _ = subnets.remove(subnet, owner: owner.name)
        return true
    }
}
