#if canImport(Glibc)
import Glibc
#endif
import EventLoop
import TincBase
import TincConfig
import TincCrypto
import TincDevice
import TincGraph
import TincPacket
import TincProtocol

/// Settings from the command line: the configuration directory, the network name and `-o` options.
public struct DaemonOptions {
    public var configDirectory: ConfigDirectory
    public var netname: String?
    public var commandLineOptions: [(host: String?, entry: ConfigEntry)] = []
    /// A device to use instead of the one the configuration names, for tests.
    var device: PacketDevice?

    public init(configDirectory: ConfigDirectory, netname: String?) {
        self.configDirectory = configDirectory
        self.netname = netname
    }
}

public struct DaemonError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The tinc daemon: one meta connection per peer, the graph, the packet path and the device,
/// all driven by one event loop on one thread.
public final class Daemon {
    let options: DaemonOptions
    let loop: EventLoop
    var settings: Settings
    var serverConfig: Config
    var privateKey: RSAKey

    var myself: Node
    var nodes: [String: Node] = [:]
    var nodesByAddress: [SocketAddress: Node] = [:]
    var connections: [Int: Connection] = [:]
    var nextConnectionID = 1
    var outgoings: [Outgoing] = []
    let graph = Graph()
    let subnets = SubnetTable()
    var seenRequests = SeenRequests()

    var device: PacketDevice
    var listeners: [Listener] = []
    /// Descriptors of rejected connections, held open for a while so that a flood of connection
    /// attempts costs the attacker more than us (tinc's tarpit: the ten most recent are kept).
    var tarpit: [Int32] = []
    var lastAcceptSecond = 0
    var acceptBurst = 0
    var contradictingAddEdge = 0
    var contradictingDelEdge = 0
    var keyExpires: Double = 0
    var lastConfigCheck: Double = 0

    // Reused buffers for the packet path: nothing is allocated per packet.
    let packetBuffer: UnsafeMutableRawBufferPointer
    let sealBuffer: UnsafeMutableRawBufferPointer
    let openBuffer: UnsafeMutableRawBufferPointer

    let probeBuffer: UnsafeMutableRawBufferPointer
    var deviceErrors = 0
    /// The second of the last search for the sender of a datagram from an unknown address.
    var lastHardTry = 0
    var unknownSourcePackets = 0
    var firstUnknownSourceTime: Double = 0
    var lastUnknownSourceReport: Double = -1000
    var icmpSecond = 0
    var icmpCount = 0

    var exitCode: Int32 = 0
    let inbox = DaemonInbox()
    /// Runs on the loop thread once the device is up, tinc-up has run and the sockets listen.
    public var onReady: (() -> Void)?

    /// Reads the configuration and keys; does not touch the network or the device yet.
    public init(options: DaemonOptions) throws {
        self.options = options
        Crypto.initialize()

        let directory = options.configDirectory
        var config = try directory.readServerConfig(options: options.commandLineOptions)
        guard let rawName = config.string("Name") else {
            throw DaemonError("Name for tinc daemon required!")
        }
        let name = try ConfigDirectory.resolveName(rawName)
        // Our own host file is read into the same configuration, as tincd 1.0.36 does.
        let hostPath = directory.hostFile(name)
        if access(hostPath, F_OK) == 0 {
            config.merge(try directory.readHostConfig(name, options: options.commandLineOptions))
        }
        serverConfig = config
        settings = try Settings(config: config, name: name, netname: options.netname)
        privateKey = try Daemon.readPrivateKey(config: config, directory: directory)
        loop = try EventLoop()
        myself = Node(name: name)
        device = DummyDevice()

        packetBuffer = .allocate(byteCount: PacketLimits.maxDatagram + 64, alignment: 16)
        sealBuffer = .allocate(byteCount: PacketLimits.maxDatagram + 64, alignment: 16)
        openBuffer = .allocate(byteCount: PacketLimits.maxDatagram + 64, alignment: 16)
        probeBuffer = .allocate(byteCount: PacketLimits.maxDatagram + 64, alignment: 16)
    }

    deinit {
        packetBuffer.deallocate()
        sealBuffer.deallocate()
        openBuffer.deallocate()
        probeBuffer.deallocate()
    }

    var now: Double { monotonicNow() }

    // MARK: Start and stop

    /// Opens the device, runs tinc-up, listens, connects to ConnectTo peers and runs until TERM.
    public func run() throws -> Int32 {
        try start(handleSignals: true)
        try loop.run()
        shutDown()
        return exitCode
    }

    /// Does everything `run()` does before it enters the loop. Tests call it with
    /// `handleSignals: false` and then drive the loop with `runOnce`.
    func start(handleSignals: Bool) throws {
        try setUpMyself()
        try openDevice()
        runScript("tinc-up", environment: baseEnvironment())
        runSubnetScripts(owner: myself, subnets: settings.subnets, up: true)
        try openListeners()
        if handleSignals { installSignalHandlers() }
        loop.wakeHandler = { [unowned self] in self.runPostedWork() }
        startTimers()
        Log.notice("Ready")
        tryOutgoingConnections()
        onReady?()
        runPostedWork()
    }

    /// Waits at most `maxWait` seconds for events and handles them, for tests.
    func runOnce(maxWait: Double) throws {
        try loop.runOnce(maxWait: maxWait)
    }

    private func setUpMyself() throws {
        myself.reachable = true
        myself.nexthop = myself
        myself.via = myself
        myself.options = settings.options
        myself.hostname = "MYSELF"
        nodes[myself.name] = myself
        for subnet in settings.subnets {
            subnets.add(subnet, owner: myself.name)
        }
        keyExpires = now + Double(settings.keyLifetime)
        lastConfigCheck = wallClock()
    }

    private func openDevice() throws {
        if let injected = options.device {
            device = injected
            return
        }
        if settings.deviceType == "dummy" {
            device = DummyDevice()
            Log.info("dummy is a dummy device")
            return
        }
        do {
            device = try TunDevice(device: settings.device, requestedName: settings.interface ?? "")
        } catch {
            throw DaemonError("\(error)")
        }
        let fd = device.fileDescriptor
        try loop.register(fd, for: .readable) { [unowned self] _ in self.handleDeviceReadable() }
    }

    func installSignalHandlers() {
        do {
            try loop.onSignal(SIGTERM) { [unowned self] in
                Log.notice("Got TERM signal")
                self.loop.stop()
            }
            try loop.onSignal(SIGINT) { [unowned self] in
                Log.notice("Got INT signal")
                self.loop.stop()
            }
            try loop.onSignal(SIGQUIT) { [unowned self] in
                Log.notice("Got QUIT signal")
                self.loop.stop()
            }
            try loop.onSignal(SIGHUP) { [unowned self] in
                Log.notice("Got HUP signal")
                self.reloadConfiguration()
            }
            try loop.onSignal(SIGALRM) { [unowned self] in
                Log.notice("Got ALRM signal")
                self.retryConnectionsNow()
            }
            try loop.onSignal(SIGUSR1) { [unowned self] in
                Log.notice("Got USR1 signal")
                self.dumpConnections()
            }
            try loop.onSignal(SIGUSR2) { [unowned self] in
                Log.notice("Got USR2 signal")
                self.dumpNodes()
                self.dumpEdges()
                self.dumpSubnets()
            }
        } catch {
            Log.error("Could not install signal handlers: \(error)")
        }
        signal(SIGPIPE, SIG_IGN)
        signal(SIGCHLD, SIG_DFL)
    }

    /// Stops every connection, closes the device and runs tinc-down.
    func shutDown() {
        Log.notice("Terminating")
        for connection in Array(connections.values) {
            terminate(connection, report: false)
        }
        for listener in listeners {
            close(listener.tcp)
            close(listener.udp)
        }
        runSubnetScripts(owner: myself, subnets: settings.subnets, up: false)
        runScript("tinc-down", environment: baseEnvironment())
        device.close()
    }

    // MARK: Periodic work

    private func startTimers() {
        loop.schedule(after: Double(settings.pingTimeout)) { [unowned self] in self.periodicCheck() }
    }

    /// tinc's once-per-PingTimeout housekeeping: dead peers, aging, key expiry, edge storms.
    private func periodicCheck() {
        checkDeadConnections()
        seenRequests.age(now: Int(now), pingInterval: settings.pingInterval)
        if keyExpires <= now {
            Log.debug(.status, .info, "Expiring symmetric keys")
            for node in nodes.values {
                node.opener = nil
                node.previousOpener = nil
            }
            sendKeyChanged()
            keyExpires = now + Double(settings.keyLifetime)
        }
        if contradictingAddEdge > 100 && contradictingDelEdge > 100 {
            Log.warning("Possible node with same Name as us!")
        }
        contradictingAddEdge = 0
        contradictingDelEdge = 0
        for fd in tarpit.prefix(max(0, tarpit.count - 10)) { close(fd) }
        if tarpit.count > 10 { tarpit.removeFirst(tarpit.count - 10) }
        loop.schedule(after: Double(settings.pingTimeout)) { [unowned self] in self.periodicCheck() }
    }

    /// Closes connections whose peer sent no PONG in time or did not finish authenticating, and
    /// sends PINGs where PingInterval has passed.
    private func checkDeadConnections() {
        let current = now
        for connection in Array(connections.values) where !connection.removed {
            if connection.lastPingTime + Double(settings.pingTimeout) <= current {
                if connection.active {
                    if connection.pinged {
                        Log.debug(.connections, .info, "\(connection.name) (\(connection.hostname)) didn't respond to PING in \(Int(current - connection.lastPingTime)) seconds")
                        terminate(connection, report: true)
                        continue
                    } else if connection.lastPingTime + Double(settings.pingInterval) <= current {
                        sendPing(connection)
                    }
                } else {
                    Log.debug(.connections, .warning, "Timeout from \(connection.name) (\(connection.hostname)) during authentication")
                    if connection.connecting {
                        connection.connecting = false
                        terminate(connection, report: false)
                    } else {
                        terminate(connection, report: false, tarpit: true)
                    }
                    continue
                }
            }
            if connection.pendingOutput > 0 && connection.lastFlushedTime + Double(settings.pingTimeout) <= current && connection.active {
                Log.debug(.connections, .info, "\(connection.name) (\(connection.hostname)) could not flush for \(Int(current - connection.lastFlushedTime)) seconds (\(connection.pendingOutput) bytes remaining)")
                terminate(connection, report: true)
            }
        }
    }

    func wallClock() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    // MARK: Nodes

    func lookupNode(_ name: String) -> Node? { nodes[name] }

    func lookupOrCreateNode(_ name: String) -> Node {
        if let node = nodes[name] { return node }
        let node = Node(name: name)
        nodes[name] = node
        return node
    }

    /// Records or clears the UDP address of `node` (tinc's update_node_udp).
    func updateNodeUDP(_ node: Node, _ address: SocketAddress?) {
        if node === myself { return }
        if let old = node.udpAddress, nodesByAddress[old] === node {
            nodesByAddress[old] = nil
        }
        node.udpAddress = address
        if let address {
            nodesByAddress[address] = node
            node.hostname = address.description
            node.socketIndex = listeners.firstIndex { $0.family == address.family } ?? 0
            Log.debug(.protocol, .debug, "UDP address of \(node.name) set to \(node.hostname)")
        } else {
            node.hostname = "unknown"
        }
    }

    // MARK: Keys

    static func readPrivateKey(config: Config, directory: ConfigDirectory) throws -> RSAKey {
        if config.string("PrivateKey") != nil {
            // NOTE: tincd 1.0.36 also accepts the key as hex numbers in PrivateKey/PublicKey;
            // this tincd only reads PEM files.
            throw DaemonError("PrivateKey in tinc.conf is not supported; use rsa_key.priv or PrivateKeyFile")
        }
        let path = config.string("PrivateKeyFile") ?? directory.path + "/rsa_key.priv"
        var status = stat()
        if stat(path, &status) == 0 && status.st_mode & 0o077 != 0 {
            Log.warning("Warning: insecure file permissions for RSA private key file `\(path)'!")
        }
        guard let text = readTextFile(path) else {
            throw DaemonError("Error reading RSA private key file `\(path)': \(String(cString: strerror(errno)))")
        }
        do {
            return try RSAKey.privateKey(pem: text)
        } catch {
            throw DaemonError("Reading RSA private key file `\(path)' failed: \(error)")
        }
    }

    /// Reads the public key of a peer from its host configuration (tinc's read_rsa_public_key):
    /// PublicKeyFile if set, else the PEM block in hosts/NAME.
    func readPublicKey(of name: String, hostConfig: Config) -> RSAKey? {
        var path = options.configDirectory.hostFile(name)
        if let file = hostConfig.string("PublicKeyFile") { path = file }
        guard let text = readTextFile(path) else {
            Log.error("Error reading RSA public key file `\(path)': \(String(cString: strerror(errno)))")
            return nil
        }
        do {
            return try RSAKey.publicKey(pem: text)
        } catch {
            Log.error("No public key for \(name) specified!")
            return nil
        }
    }
}

/// Reads a whole file as UTF-8 text, or nil with errno set.
func readTextFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(fd, &chunk, chunk.count)
        if count < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}
