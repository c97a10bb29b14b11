#if canImport(Glibc)
import Glibc
#endif
import EventLoop
import TincBase
import TincConfig
import TincCrypto

/// Outgoing meta connections from ConnectTo lines (tinc 1.0.36 net_socket.c). Each Address of the
/// peer's host file is tried in turn. When all fail, the next round starts after a delay that
/// grows by five seconds per failed round, up to MaxTimeout.
extension Daemon {
    func tryOutgoingConnections() {
        for entry in serverConfig.all("ConnectTo") {
            let name = entry.value
            guard NodeName.isValid(name) else {
                let place = entry.file.map { "\($0) line \(entry.line)" } ?? "command line option \(entry.line)"
                Log.error("Invalid name for outgoing connection in \(place)")
                continue
            }
            if name == myself.name { continue }
            if outgoings.contains(where: { $0.name == name }) { continue }
            let outgoing = Outgoing(name: name)
            outgoings.append(outgoing)
            setUpOutgoing(outgoing)
        }
    }

    func setUpOutgoing(_ outgoing: Outgoing) {
        outgoing.timer = nil
        if outgoing.cancelled { return }
        if let node = nodes[outgoing.name], let connection = node.connection {
            Log.debug(.connections, .info, "Already connected to \(outgoing.name)")
            connection.outgoing = outgoing
            return
        }
        let hostConfig: Config
        do {
            hostConfig = try options.configDirectory.readHostConfig(outgoing.name, options: options.commandLineOptions)
        } catch {
            Log.error("\(error)")
            outgoing.timeout = settings.maxTimeout
            scheduleRetry(outgoing)
            return
        }
        let addresses = hostConfig.all("Address")
        if addresses.isEmpty {
            Log.error("No address specified for \(outgoing.name)")
            outgoing.timeout = settings.maxTimeout
            scheduleRetry(outgoing)
            return
        }
        let defaultPort = hostConfig.string("Port") ?? "655"
        outgoing.addressLines = addresses.map { entry in
            let parts = entry.value.split(separator: " ", maxSplits: 1).map(String.init)
            return parts.count > 1 ? parts[0] + " " + parts[1] : parts[0] + " " + defaultPort
        }
        outgoing.pendingAddresses = []
        connectNext(outgoing, hostConfig: hostConfig)
    }

    /// Starts a connection attempt to the next address, or schedules the next round.
    private func connectNext(_ outgoing: Outgoing, hostConfig: Config?) {
        while true {
            if outgoing.cancelled { return }
            if outgoing.pendingAddresses.isEmpty {
                guard !outgoing.addressLines.isEmpty else {
                    Log.debug(.connections, .error, "Could not set up a meta connection to \(outgoing.name)")
                    scheduleRetry(outgoing)
                    return
                }
                let line = outgoing.addressLines.removeFirst()
                let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
                switch SocketAddress.resolve(host: parts[0], port: parts[1], family: settings.addressFamily, stream: true) {
                case .success(let list): outgoing.pendingAddresses = list
                case .failure(let error):
                    Log.debug(.connections, .error, "Error looking up \(parts[0]) port \(parts[1]): \(error)")
                }
                continue
            }
            let address = outgoing.pendingAddresses.removeFirst()
            if startConnecting(outgoing, to: address, hostConfig: hostConfig) { return }
        }
    }

    /// Opens a non-blocking TCP connection; returns false if it failed at once.
    private func startConnecting(_ outgoing: Outgoing, to address: SocketAddress, hostConfig: Config?) -> Bool {
        let connection = makeConnection(name: outgoing.name, address: address)
        Log.debug(.connections, .info, "Trying to connect to \(outgoing.name) (\(connection.hostname))")
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_TCP))
        if fd < 0 {
            Log.debug(.connections, .error, "Creating socket for \(connection.hostname) failed: \(String(cString: strerror(errno)))")
            return false
        }
        configureTCP(fd)
        if address.family == AF_INET6 {
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        // With exactly one listening address of this family, connect from it, so the peer gets
        // the same address that our UDP packets come from.
        let sameFamily = listeners.filter { $0.family == address.family }
        if sameFamily.count == 1 && !isWildcard(sameFamily[0].address) {
            var source = sameFamily[0].address
            source.port = 0
            let bound = source.withSockaddr { bind(fd, $0, $1) }
            if bound < 0 {
                Log.error("Can't bind to \(source.host)/tcp: \(String(cString: strerror(errno)))")
            }
        }
        let result = address.withSockaddr { connect(fd, $0, $1) }
        if result < 0 && errno != EINPROGRESS {
            Log.debug(.connections, .error, "\(connection.hostname): \(String(cString: strerror(errno)))")
            close(fd)
            return false
        }
        connection.fd = fd
        connection.outgoing = outgoing
        connection.hostConfig = hostConfig
        connection.connecting = result < 0
        addConnection(connection)
        if result == 0 {
            finishConnecting(connection)
        }
        return true
    }

    private func isWildcard(_ address: SocketAddress) -> Bool {
        address.host == "0.0.0.0" || address.host == "::"
    }

    func finishConnecting(_ connection: Connection) {
        Log.debug(.connections, .info, "Connected to \(connection.name) (\(connection.hostname))")
        connection.lastPingTime = now
        if !sendID(connection) {
            terminate(connection, report: false)
        }
    }

    /// Tries the next address of the same peer after a TCP connect failed.
    func retryOutgoingAfterFailure(_ connection: Connection) {
        let outgoing = connection.outgoing
        connection.outgoing = nil
        terminate(connection, report: false)
        if let outgoing, !outgoing.cancelled {
            connectNext(outgoing, hostConfig: connection.hostConfig)
        }
    }

    /// Goes on with the remaining addresses, or waits a round, after a connection of `outgoing` closed.
    func continueOutgoing(_ outgoing: Outgoing) {
        connectNext(outgoing, hostConfig: nil)
    }

    func scheduleRetry(_ outgoing: Outgoing) {
        outgoing.timeout += 5
        if outgoing.timeout < settings.minTimeout { outgoing.timeout = settings.minTimeout }
        if outgoing.timeout > settings.maxTimeout { outgoing.timeout = settings.maxTimeout }
        if let timer = outgoing.timer { loop.cancel(timer) }
        outgoing.timer = loop.schedule(after: Double(outgoing.timeout)) { [unowned self] in
            self.setUpOutgoing(outgoing)
        }
        Log.debug(.connections, .notice, "Trying to re-establish outgoing connection in \(outgoing.timeout) seconds")
    }

    /// SIGALRM: retry every waiting ConnectTo now and ping every active peer.
    func retryConnectionsNow() {
        Log.info("Flushing event queue")
        for outgoing in outgoings {
            if let timer = outgoing.timer {
                loop.cancel(timer)
                outgoing.timer = nil
                setUpOutgoing(outgoing)
            }
        }
        for connection in Array(connections.values) where connection.active {
            sendPing(connection)
        }
    }

    // MARK: SIGHUP

    /// Rereads tinc.conf: starts new ConnectTo entries, stops removed ones that are still trying,
    /// and closes connections to peers whose host file is gone or whose public key changed.
    /// Every other connection stays up.
    func reloadConfiguration() {
        Log.reopen()
        let directory = options.configDirectory
        do {
            var config = try directory.readServerConfig(options: options.commandLineOptions)
            if access(directory.hostFile(myself.name), F_OK) == 0 {
                config.merge(try directory.readHostConfig(myself.name, options: options.commandLineOptions))
            }
            serverConfig = config
        } catch {
            Log.error("Unable to reread configuration file: \(error)")
            return
        }

        // Stop outgoing attempts that are no longer wanted; keep the connections themselves.
        let wanted = Set(serverConfig.all("ConnectTo").map(\.value))
        for outgoing in outgoings where !wanted.contains(outgoing.name) {
            outgoing.cancelled = true
            if let timer = outgoing.timer { loop.cancel(timer) }
            for connection in Array(connections.values) where connection.outgoing === outgoing {
                connection.outgoing = nil
                if connection.connecting || !connection.active {
                    terminate(connection, report: false)
                }
            }
        }
        outgoings.removeAll { $0.cancelled }

        for connection in Array(connections.values) where connection.active {
            let path = directory.hostFile(connection.name)
            if access(path, F_OK) != 0 {
                Log.notice("Host file of \(connection.name) was removed, closing connection with \(connection.name) (\(connection.hostname))")
                terminate(connection, report: true)
                continue
            }
            if let config = try? directory.readHostConfig(connection.name, options: options.commandLineOptions),
               let key = readPublicKey(of: connection.name, hostConfig: config),
               let old = connection.peerKey, !key.matches(old) {
                Log.notice("Public key of \(connection.name) changed, closing connection with \(connection.name) (\(connection.hostname))")
                terminate(connection, report: true)
            }
        }

        tryOutgoingConnections()
    }
}
