#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import TincBase
import TincConfig

/// Work that another thread hands to the daemon. The closure runs on the event loop's thread,
/// where it may call any method of the daemon.
public typealias DaemonWork = @Sendable (Daemon) -> Void

/// The queue between other threads and the loop thread.
final class DaemonInbox: Sendable {
    private let queue = Mutex<[DaemonWork]>([])

    func append(_ work: @escaping DaemonWork) {
        queue.withLock { $0.append(work) }
    }

    func takeAll() -> [DaemonWork] {
        queue.withLock { work in
            defer { work.removeAll() }
            return work
        }
    }
}

/// A handle that other threads may keep to reach a running daemon.
public final class DaemonHandle: Sendable {
    let inbox: DaemonInbox
    private let wake: @Sendable () -> Void

    init(inbox: DaemonInbox, wake: @escaping @Sendable () -> Void) {
        self.inbox = inbox
        self.wake = wake
    }

    /// Queues `work` for the loop thread and wakes the loop. Safe from any thread.
    public func post(_ work: @escaping DaemonWork) {
        inbox.append(work)
        wake()
    }

    /// Asks the daemon to shut down as on SIGTERM.
    public func stop() {
        post { $0.loop.stop() }
    }
}

extension Daemon {
    /// Returns a handle through which other threads can post work to this daemon.
    public func makeHandle() -> DaemonHandle {
        nonisolated(unsafe) let loop = self.loop
        return DaemonHandle(inbox: inbox, wake: { loop.wakeUp() })
    }

    func runPostedWork() {
        for work in inbox.takeAll() {
            work(self)
        }
    }

    // MARK: Live changes from discovery

    /// Replaces the set of peers we hold outgoing meta connections to: starts the new ones and
    /// stops retrying the ones no longer wanted. Established connections stay up either way,
    /// because a connection the peer made to us serves the mesh just as well.
    public func setConnectTo(_ names: [String]) {
        let wanted = Set(names.filter { NodeName.isValid($0) && $0 != myself.name })
        for outgoing in outgoings where !wanted.contains(outgoing.name) {
            outgoing.cancelled = true
            if let timer = outgoing.timer { loop.cancel(timer) }
            for connection in Array(connections.values) where connection.outgoing === outgoing {
                connection.outgoing = nil
                if !connection.active { terminate(connection, report: false) }
            }
            Log.debug(.connections, .info, "No longer connecting to \(outgoing.name)")
        }
        outgoings.removeAll { $0.cancelled }
        for name in names.sorted() where wanted.contains(name) && !outgoings.contains(where: { $0.name == name }) {
            let outgoing = Outgoing(name: name)
            outgoings.append(outgoing)
            setUpOutgoing(outgoing)
        }
    }

    /// Rereads hosts/NAME after it was rewritten. A connection authenticated with another public key
    /// than the file now contains is closed, so the peer has to authenticate again with the new key.
    public func reloadPeer(_ name: String) {
        guard NodeName.isValid(name), name != myself.name else { return }
        guard let config = try? options.configDirectory.readHostConfig(name, options: options.commandLineOptions),
              let key = readPublicKey(of: name, hostConfig: config) else { return }
        for connection in Array(connections.values) where connection.name == name {
            if let old = connection.peerKey, !old.matches(key) {
                Log.notice("Public key of \(name) changed, closing connection with \(name) (\(connection.hostname))")
                terminate(connection, report: true)
            } else {
                connection.hostConfig = config
            }
        }
    }

    /// hosts/NAME is gone: close every connection with the peer and stop connecting to it.
    public func removePeer(_ name: String) {
        for outgoing in outgoings where outgoing.name == name {
            outgoing.cancelled = true
            if let timer = outgoing.timer { loop.cancel(timer) }
        }
        outgoings.removeAll { $0.cancelled }
        for connection in Array(connections.values) where connection.name == name {
            Log.notice("\(name) left the VPN, closing connection with \(name) (\(connection.hostname))")
            connection.outgoing = nil
            terminate(connection, report: true)
        }
    }

    /// The names of the nodes reachable through the VPN right now, ourselves excluded.
    public var reachableNodeNames: [String] {
        nodes.values.filter { $0.reachable && $0 !== myself }.map(\.name).sorted()
    }

    /// The name of the VPN interface, once the device is open.
    public var interfaceName: String { device.interfaceName }
}
