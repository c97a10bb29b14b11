#if canImport(Glibc)
import Glibc
#endif
import EventLoop
import TincBase
import TincCrypto
import TincProtocol

/// A TCP listening socket and the UDP socket bound to the same address and port.
struct Listener {
    var tcp: Int32
    var udp: Int32
    var address: SocketAddress
    var family: Int32 { address.family }
}

extension Daemon {
    // MARK: Listening

    /// Binds a TCP and a UDP socket for every address of BindToAddress (all addresses by default).
    func openListeners() throws {
        var targets = settings.bindAddresses
        if targets.isEmpty { targets = [(nil, settings.port)] }
        for target in targets {
            switch SocketAddress.resolve(host: target.host, port: target.port, family: settings.addressFamily,
                                         stream: true, passive: true) {
            case .failure(let error):
                throw DaemonError("System call `getaddrinfo' failed: \(error)")
            case .success(let addresses):
                for address in addresses {
                    guard let tcp = openListeningSocket(address) else { continue }
                    guard let udp = openUDPSocket(address) else { close(tcp); continue }
                    listeners.append(Listener(tcp: tcp, udp: udp, address: address))
                    Log.debug(.connections, .notice, "Listening on \(address)")
                }
            }
        }
        if listeners.isEmpty {
            throw DaemonError("Unable to create any listening socket!")
        }
        for (index, listener) in listeners.enumerated() {
            try loop.register(listener.tcp, for: .readable) { [unowned self] _ in self.acceptConnection(listener.tcp) }
            try loop.register(listener.udp, for: .readable) { [unowned self] _ in self.handleUDPReadable(index) }
        }
    }

    private func openListeningSocket(_ address: SocketAddress) -> Int32? {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), Int32(IPPROTO_TCP))
        if fd < 0 {
            Log.error("Creating metasocket failed: \(String(cString: strerror(errno)))")
            return nil
        }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if address.family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        if bound < 0 {
            Log.error("Can't bind to \(address)/tcp: \(String(cString: strerror(errno)))")
            close(fd)
            return nil
        }
        if listen(fd, 3) < 0 {
            Log.error("System call `listen' failed: \(String(cString: strerror(errno)))")
            close(fd)
            return nil
        }
        return fd
    }

    private func openUDPSocket(_ address: SocketAddress) -> Int32? {
        let fd = socket(address.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), Int32(IPPROTO_UDP))
        if fd < 0 {
            Log.error("Creating UDP socket failed: \(String(cString: strerror(errno)))")
            return nil
        }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if address.family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        if var size = settings.udpReceiveBuffer.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if var size = settings.udpSendBuffer.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        // Let oversized packets fail with EMSGSIZE instead of being fragmented (tinc sets
        // IP_MTU_DISCOVER to IP_PMTUDISC_DO for the same reason), so PMTU discovery notices the limit.
        var discover: Int32 = 2 // IP_PMTUDISC_DO
        if address.family == AF_INET {
            setsockopt(fd, Int32(IPPROTO_IP), IP_MTU_DISCOVER, &discover, socklen_t(MemoryLayout<Int32>.size))
        } else {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_MTU_DISCOVER, &discover, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        if bound < 0 {
            Log.error("Can't bind to \(address)/udp: \(String(cString: strerror(errno)))")
            close(fd)
            return nil
        }
        return fd
    }

    // MARK: Accepting

    /// Accepts one meta connection. More than ten in one second are put in the tarpit
    /// (tinc 1.0.35 hardening against connection floods).
    func acceptConnection(_ listenFD: Int32) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &length) }
        }
        if fd >= 0 {
            do { try makeNonBlocking(fd) } catch {
                Log.error("Accepting a new connection failed: \(error)")
                close(fd)
                return
            }
        }
        if fd < 0 {
            if errno != EAGAIN && errno != EINTR {
                Log.error("Accepting a new connection failed: \(String(cString: strerror(errno)))")
            }
            return
        }
        let second = Int(now)
        if second == lastAcceptSecond {
            acceptBurst += 1
            if acceptBurst >= 10 {
                if acceptBurst == 10 { Log.debug(.connections, .warning, "Throttling incoming connections") }
                addToTarpit(fd)
                return
            }
        } else {
            acceptBurst = 0
            lastAcceptSecond = second
        }
        guard let address = withUnsafePointer(to: &storage, { SocketAddress(storage: UnsafeRawPointer($0)) }) else {
            close(fd)
            return
        }
        let connection = makeConnection(name: "<unknown>", address: address)
        connection.fd = fd
        configureTCP(fd)
        Log.debug(.connections, .notice, "Connection from \(connection.hostname)")
        connection.allow = .only(.id)
        addConnection(connection)
    }

    func addToTarpit(_ fd: Int32) {
        tarpit.append(fd)
        if tarpit.count > 10 {
            close(tarpit.removeFirst())
        }
    }

    func makeConnection(name: String, address: SocketAddress) -> Connection {
        let connection = Connection(id: nextConnectionID, name: name, address: address,
                                    outCipher: settings.metaCipher, outDigest: .sha256, now: now)
        nextConnectionID += 1
        return connection
    }

    func configureTCP(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var lowDelay: Int32 = 0x10 // IPTOS_LOWDELAY, as tincd sets on meta connections
        setsockopt(fd, Int32(IPPROTO_IP), IP_TOS, &lowDelay, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Starts watching a connection's socket.
    func addConnection(_ connection: Connection) {
        connections[connection.id] = connection
        let id = connection.id
        do {
            try loop.register(connection.fd, for: connection.connecting ? [.readable, .writable] : .readable) { [unowned self] events in
                self.handleConnectionEvents(id, events)
            }
        } catch {
            Log.error("Could not watch connection with \(connection.name) (\(connection.hostname)): \(error)")
            connections[id] = nil
            close(connection.fd)
        }
    }

    private func handleConnectionEvents(_ id: Int, _ events: IOEvents) {
        guard let connection = connections[id], !connection.removed else { return }
        if events.contains(.writable) || (connection.connecting && events.contains(.error)) {
            if connection.connecting {
                connection.connecting = false
                var result: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &result, &length)
                if result != 0 {
                    Log.debug(.connections, .debug, "Error while connecting to \(connection.name) (\(connection.hostname)): \(String(cString: strerror(result)))")
                    retryOutgoingAfterFailure(connection)
                    return
                }
                finishConnecting(connection)
            }
            if !flushConnection(connection) { return }
        }
        if events.contains(.readable) || events.contains(.hangup) || events.contains(.error) {
            if !receiveMeta(connection) {
                terminate(connection, report: connection.active, tarpit: !connection.active)
            }
        }
    }

    /// Sends what is buffered; watches for writability while something is left.
    @discardableResult
    func flushConnection(_ connection: Connection) -> Bool {
        switch connection.flush() {
        case .done:
            connection.lastFlushedTime = now
            loop.modify(connection.fd, interest: .readable)
            return true
        case .wouldBlock:
            loop.modify(connection.fd, interest: [.readable, .writable])
            return true
        case .closed:
            Log.debug(.connections, .notice, "Connection closed by \(connection.name) (\(connection.hostname))")
            terminate(connection, report: connection.active)
            return false
        case .failed(let code):
            Log.error("Flushing meta data to \(connection.name) (\(connection.hostname)) failed: \(String(cString: strerror(code)))")
            terminate(connection, report: connection.active)
            return false
        }
    }

    // MARK: Closing

    /// Closes a meta connection, removes its edge (telling the others when `report` is set) and
    /// schedules a new attempt when it was outgoing (tinc's terminate_connection).
    func terminate(_ connection: Connection, report: Bool, tarpit useTarpit: Bool = false) {
        if connection.removed { return }
        Log.debug(.connections, .notice, "Closing connection with \(connection.name) (\(connection.hostname))")
        connection.removed = true
        connection.active = false
        if let node = connection.node, node.connection === connection {
            node.connection = nil
        }
        if connection.fd >= 0 {
            loop.unregister(connection.fd)
            if useTarpit { addToTarpit(connection.fd) } else { close(connection.fd) }
            connection.fd = -1
        }
        connections[connection.id] = nil

        if let edge = connection.edge, let node = connection.node {
            if report {
                sendDelEdge(to: nil, edge)
            }
            graph.remove(from: edge.from, to: edge.to)
            connection.edge = nil
            runGraph()
            // The peer is gone; its edge back to us is stale too.
            if report && !node.reachable, let back = graph.edge(from: node.name, to: myself.name) {
                sendDelEdge(to: nil, back)
                graph.remove(from: back.from, to: back.to)
            }
        }

        if let outgoing = connection.outgoing, !outgoing.cancelled {
            connection.outgoing = nil
            continueOutgoing(outgoing)
        }
    }
}
