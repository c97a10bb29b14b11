#if canImport(Glibc)
import Glibc
#endif
import Etcd
import Foundation
import TincBase
import TincConfig
import TincCrypto
import TincDaemon

/// The entry point of the automatic-tinc executable.
public enum AutomaticTinc {
    /// The tincd version that runs inside automatic-tinc.
    public static let tincVersion = Tincd.version

    /// Runs automatic-tinc with `arguments` (argv without the program name) and returns the
    /// exit status.
    public static func main(_ arguments: [String]) -> Int32 {
        // The daemon reads these signals through signalfd, so they must be blocked in every
        // thread, and the discovery thread inherits the mask of the thread that starts it.
        StartupSignals.block()

        let options: AutomaticTincOptions
        do {
            options = try AutomaticTincOptions.parse(arguments: arguments, environment: ProcessInfo.processInfo.environment)
        } catch {
            writeError("automatic-tinc: \(error)")
            return 1
        }
        if options.showHelp {
            print(AutomaticTincOptions.usage, terminator: "")
            return 0
        }
        if options.showVersion {
            print("automatic-tinc with tincd \(tincVersion) (Swift implementation)")
            return 0
        }

        Log.level = options.debugLevel
        Log.open(.stderr)

        switch options.command {
        case .run:
            return Runner(options: options).run()
        case .list:
            return runList(options)
        case .forget(let name):
            return runForget(name, options: options)
        }
    }

    static func connect(_ options: AutomaticTincOptions) throws(EtcdError) -> any EtcdStore {
        let files = [options.etcdCAFile, options.etcdCertFile, options.etcdKeyFile]
        let tls = files.allSatisfy { $0 == nil }
            ? nil : EtcdTLS(caFile: options.etcdCAFile, certFile: options.etcdCertFile, keyFile: options.etcdKeyFile)
        return try EtcdConnection.connect(endpoints: options.etcdEndpoints, api: options.etcdAPI, tls: tls,
                                          username: options.etcdUsername, password: options.etcdPassword)
    }

    private static func runList(_ options: AutomaticTincOptions) -> Int32 {
        do {
            let store = try connect(options)
            print(try ListCommand.run(store: store, keys: EtcdKeys(network: options.network)), terminator: "")
            return 0
        } catch {
            writeError("automatic-tinc: could not list network \(options.network): \(error)")
            return 1
        }
    }

    private static func runForget(_ name: String, options: AutomaticTincOptions) -> Int32 {
        do {
            let store = try connect(options)
            let deleted = try ForgetCommand.run(name: name, store: store, keys: EtcdKeys(network: options.network))
            if deleted.isEmpty {
                writeError("automatic-tinc: node \(name) has no keys in network \(options.network)")
                return 1
            }
            deleted.forEach { print($0) }
            return 0
        } catch {
            writeError("automatic-tinc: could not forget \(name): \(error)")
            return 1
        }
    }
}

/// `automatic-tinc run`: the startup steps, then the daemon on this thread and discovery on its own.
struct Runner {
    let options: AutomaticTincOptions
    let keys: EtcdKeys
    let writer: ConfigWriter

    init(options: AutomaticTincOptions) {
        self.options = options
        keys = EtcdKeys(network: options.network)
        writer = ConfigWriter(directory: options.configDirectory)
    }

    /// Thrown when SIGTERM, SIGINT or SIGQUIT arrives before the daemon runs.
    struct Terminated: Error {}

    func run() -> Int32 {
        do {
            return try runOrThrow()
        } catch is Terminated {
            Log.notice("Terminating before the VPN started")
            return 0
        } catch {
            Log.error("\(error)")
            return 1
        }
    }

    private func runOrThrow() throws -> Int32 {
        // 1. Who we are.
        let name = try resolveName()
        let publicAddress = try options.publicAddress ?? PublicAddress.detect()
        Log.notice("automatic-tinc starting: node \(name), network \(options.network) (\(options.subnet)), public address \(publicAddress), directory \(writer.directory)")

        // 2. etcd, waiting for it as long as it takes.
        let store = try retrying("connect to etcd at \(options.etcdEndpoints.joined(separator: ", "))") { () throws(EtcdError) in
            try AutomaticTinc.connect(options)
        }

        // 3. Our key, kept across restarts.
        try writer.prepare()
        let key = try NodeKey.loadOrGenerate(path: writer.privateKeyPath, bits: options.keyBits)
        let publicKeyPEM = try key.publicKeyPEM()
        try StartupSignals.checkTermination()

        // 4. Our VPN address.
        let address = try registerAddress(name: name, store: store)

        // 5. Our host file, on disk and in etcd, and the liveness key.
        let hostFile = HostFile(publicAddress: publicAddress, vpnAddress: address, port: options.port,
                                publicKeyPEM: publicKeyPEM).render()
        try writer.writeHost(name, text: hostFile)
        _ = try retrying("publish \(keys.configKey(name))") { () throws(EtcdError) in
            try ConfigPublisher.publish(hostFile, name: name, keys: keys, store: store)
        }
        let liveness = LivenessKey(store: store, key: keys.aliveKey(name), value: address.description)
        try retrying("write \(liveness.key)") { () throws(EtcdError) in try liveness.refresh() }

        // 6. The peers, read after ours is published so that a node starting at the same time
        // finds us either in this listing or in its watch.
        var sync = PeerSync(myself: name, keys: keys, writer: writer,
                            nodeFiles: NodeFiles(name: name, interface: options.interface, port: options.port,
                                                 vpnAddress: address, network: options.subnet, connectTo: []),
                            ourHostFile: hostFile, connectToCount: options.connectTo)
        let listing = try retrying("list \(keys.configsPrefix)") { () throws(EtcdError) in
            try store.list(prefix: keys.configsPrefix)
        }
        _ = try sync.reconcile(listing: listing.values)
        Log.notice("Peers in etcd: \(sync.peers.count); outgoing meta connections: \(sync.nodeFiles.connectTo.count)")
        do {
            try StartupSignals.checkTermination()
        } catch {
            liveness.remove()
            throw error
        }

        // 7. The daemon on this thread, discovery on its own.
        return runDaemon(store: store, address: address, name: name, liveness: liveness, sync: sync,
                         listingRevision: listing.revision)
    }

    private func resolveName() throws(OptionError) -> String {
        if let name = options.nodeName { return name }
        let hostname = DefaultNodeName.systemHostname()
        guard let hostname, let name = DefaultNodeName.derive(hostname: hostname) else {
            throw OptionError("Could not derive a node name from the host name \"\(hostname ?? "")\"; pass --name NAME or set TINC_NODE_NAME")
        }
        return name
    }

    private func registerAddress(name: String, store: any EtcdStore) throws -> IPv4Address {
        let registration = AddressRegistration(store: store, keys: keys, network: options.subnet, name: name)
        let remembered = try AddressStateFile.read(writer.statePath)
        var backoff = Backoff()
        while true {
            let address: IPv4Address
            let outcome: AddressRegistration.Outcome
            do throws(RegistrationError) {
                (address, outcome) = try registration.register(remembered: remembered)
            } catch {
                guard case .etcd(let etcdError) = error else { throw error }
                try waitBeforeRetry("register a VPN address", error: etcdError, backoff: &backoff)
                continue
            }

            try AddressStateFile.write(writer.statePath, address: address)
            switch outcome {
            case .kept, .recreated, .reclaimed, .allocated:
                Log.notice("VPN address of \(name) is \(address)")
            case .moved(let previous, let owner):
                Log.warning("VPN address of \(name) changed from \(previous) (now \(owner)'s) to \(address); the host file, tinc-up and configs/\(name) change with it")
            }
            return address
        }
    }

    private func runDaemon(store: any EtcdStore, address: IPv4Address, name: String, liveness: LivenessKey,
                           sync: PeerSync, listingRevision: Int64) -> Int32 {
        let daemon: Daemon
        do {
            daemon = try Daemon(options: DaemonOptions(configDirectory: ConfigDirectory(path: writer.directory),
                                                       netname: options.network))
        } catch {
            Log.error("\(error)")
            liveness.remove()
            return 1
        }
        daemon.onReady = {
            SystemdNotify.send("READY=1")
        }

        let stopFlag = StopFlag()
        let discovery = Discovery(store: store, keys: keys,
                                  registration: AddressRegistration(store: store, keys: keys, network: options.subnet, name: name),
                                  address: address, liveness: liveness,
                                  controller: DaemonPeerController(handle: daemon.makeHandle()),
                                  stopFlag: stopFlag, initialSync: sync, listingRevision: listingRevision)
        discovery.start()

        let status: Int32
        do {
            status = try daemon.run()
        } catch {
            Log.error("\(error)")
            stopFlag.stop()
            liveness.remove()
            return 1
        }

        // The address stays registered, so a restart gets it back.
        stopFlag.stop()
        liveness.remove()
        Log.notice("automatic-tinc stopped")
        return status
    }

    /// Calls `body` until it succeeds, waiting 1, 2, 4 ... 30 s between attempts and logging
    /// each failure. Throws `Terminated` when a termination signal arrives while waiting.
    private func retrying<T>(_ action: String, _ body: () throws(EtcdError) -> T) throws(Terminated) -> T {
        var backoff = Backoff()
        while true {
            do {
                return try body()
            } catch {
                try waitBeforeRetry(action, error: error, backoff: &backoff)
            }
        }
    }

    private func waitBeforeRetry(_ action: String, error: EtcdError, backoff: inout Backoff) throws(Terminated) {
        let delay = backoff.nextDelay()
        Log.warning("Could not \(action): \(error); retrying in \(delay.components.seconds) s")
        try StartupSignals.wait(delay)
    }
}

func writeError(_ message: String) {
    let bytes = Array((message + "\n").utf8)
    _ = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
