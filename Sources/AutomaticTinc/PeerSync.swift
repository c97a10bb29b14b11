import Etcd
import TincBase
import TincDaemon

/// What the running daemon must learn after hosts/ or tinc.conf changed.
public struct PeerChanges: Sendable, Equatable {
    /// Peers whose hosts/NAME was written (new or changed), in name order.
    public var reloaded: [String] = []
    /// Peers whose hosts/NAME was removed, in name order.
    public var removed: [String] = []
    /// The new ConnectTo list, or nil when it did not change.
    public var connectTo: [String]?

    public init(reloaded: [String] = [], removed: [String] = [], connectTo: [String]? = nil) {
        self.reloaded = reloaded
        self.removed = removed
        self.connectTo = connectTo
    }

    public var isEmpty: Bool { reloaded.isEmpty && removed.isEmpty && connectTo == nil }
}

/// The calls discovery makes on the daemon. `Daemon` has them; tests record them.
public protocol PeerDaemon: AnyObject {
    func reloadPeer(_ name: String)
    func removePeer(_ name: String)
    func setConnectTo(_ names: [String])
}

extension Daemon: PeerDaemon {}

extension PeerChanges {
    /// Makes the daemon calls for these changes: removals first, so that a peer that left stops
    /// being retried before new ConnectTo peers are started.
    public func apply(to daemon: some PeerDaemon) {
        for name in removed {
            daemon.removePeer(name)
        }
        for name in reloaded {
            daemon.reloadPeer(name)
        }
        if let connectTo {
            daemon.setConnectTo(connectTo)
        }
    }
}

/// Where discovery sends its changes. Tests record them; `DaemonPeerController` posts them to
/// the daemon's loop thread.
public protocol PeerController: Sendable {
    func apply(_ changes: PeerChanges)
}

/// Hands changes to a running daemon through `DaemonHandle.post`, the only thing the discovery
/// thread and the daemon's loop share.
public struct DaemonPeerController: PeerController {
    public let handle: DaemonHandle

    public init(handle: DaemonHandle) {
        self.handle = handle
    }

    public func apply(_ changes: PeerChanges) {
        guard !changes.isEmpty else { return }
        handle.post { daemon in
            changes.apply(to: daemon)
        }
    }
}

/// Keeps hosts/ and tinc.conf equal to the valid peers under `configs/`.
///
/// A peer's file is written only from a value that passed `HostFileValidation`. When a peer's
/// value turns invalid, its last valid file stays, so one bad write to etcd cannot cut a peer
/// off. A hosts file is removed only when its key is gone from etcd.
public struct PeerSync: Sendable {
    public let myself: String
    public let keys: EtcdKeys
    public let writer: ConfigWriter
    public let connectToCount: Int
    /// Our tinc.conf, tinc-up and tinc-down; the ConnectTo list changes with the peers.
    public private(set) var nodeFiles: NodeFiles
    /// Our host file as published in `configs/NAME`.
    public let ourHostFile: String
    /// Peers that have a hosts file written from a valid value.
    public private(set) var peers: Set<String> = []
    /// Set when `configs/NAME` of this node is missing from etcd, so the caller publishes it again.
    public private(set) var ourConfigMissing = false
    private var rejections = RejectionLog()

    public init(myself: String, keys: EtcdKeys, writer: ConfigWriter, nodeFiles: NodeFiles, ourHostFile: String,
                connectToCount: Int) {
        self.myself = myself
        self.keys = keys
        self.writer = writer
        self.nodeFiles = nodeFiles
        self.ourHostFile = ourHostFile
        self.connectToCount = connectToCount
    }

    /// Makes hosts/ and tinc.conf match a full listing of `configs/`.
    public mutating func reconcile(listing: [EtcdKeyValue]) throws(FileError) -> PeerChanges {
        var changes = PeerChanges()
        var valid: [String: PeerHostFile] = [:]
        var invalidNames: Set<String> = []
        var ourValue: String?

        for entry in listing {
            let name = EtcdKeys.lastComponent(of: entry.key, under: keys.configsPrefix)
            if name == myself {
                ourValue = entry.value
                continue
            }
            switch HostFileValidation.validate(entry, configsPrefix: keys.configsPrefix) {
            case .success(let peer):
                valid[peer.name] = peer
            case .failure(let rejection):
                report(rejection, revision: entry.modifiedRevision)
                if let name, NodeName.isValid(name) { invalidNames.insert(name) }
            }
        }
        checkOurConfig(ourValue, revision: listing.first { $0.key == keys.configKey(myself) }?.modifiedRevision ?? 0)

        for peer in valid.values.sorted(by: { $0.name < $1.name }) {
            if try writer.writeHost(peer.name, text: peer.text) {
                changes.reloaded.append(peer.name)
            }
        }
        let onDisk = Set(try writer.hostNames()).subtracting([myself])
        for name in onDisk.sorted() where valid[name] == nil && !invalidNames.contains(name) {
            try writer.removeHost(name)
            Log.notice("Removed host file of \(name), which is no longer in etcd")
            changes.removed.append(name)
        }

        // A peer with an invalid value keeps the file from its last valid value, if there is one.
        let keptFromBefore = invalidNames.filter { peers.contains($0) || onDisk.contains($0) }
        peers = Set(valid.keys).union(keptFromBefore)
        changes.connectTo = try updateConnectTo()
        return changes
    }

    /// Applies watch events on `configs/` to hosts/ and tinc.conf.
    public mutating func apply(events: [EtcdEvent]) throws(FileError) -> PeerChanges {
        var changes = PeerChanges()
        for event in events {
            switch event {
            case .put(let entry):
                try applyPut(entry, changes: &changes)
            case .delete(let key, _):
                try applyDelete(key, changes: &changes)
            }
        }
        changes.reloaded = Array(Set(changes.reloaded).subtracting(changes.removed)).sorted()
        changes.removed = Array(Set(changes.removed)).sorted()
        changes.connectTo = try updateConnectTo()
        return changes
    }

    /// Records that `configs/NAME` of this node was published again.
    public mutating func ourConfigPublished() {
        ourConfigMissing = false
    }

    private mutating func applyPut(_ entry: EtcdKeyValue, changes: inout PeerChanges) throws(FileError) {
        if entry.key == keys.configKey(myself) {
            checkOurConfig(entry.value, revision: entry.modifiedRevision)
            return
        }
        switch HostFileValidation.validate(entry, configsPrefix: keys.configsPrefix) {
        case .success(let peer):
            if try writer.writeHost(peer.name, text: peer.text) {
                Log.info("Wrote host file of \(peer.name) from etcd revision \(entry.modifiedRevision)")
                changes.reloaded.append(peer.name)
                changes.removed.removeAll { $0 == peer.name }
            }
            peers.insert(peer.name)
        case .failure(let rejection):
            report(rejection, revision: entry.modifiedRevision)
        }
    }

    private mutating func applyDelete(_ key: String, changes: inout PeerChanges) throws(FileError) {
        rejections.forget(key)
        if key == keys.configKey(myself) {
            Log.warning("\(key) was deleted while \(myself) runs, publishing it again")
            ourConfigMissing = true
            return
        }
        guard let name = EtcdKeys.lastComponent(of: key, under: keys.configsPrefix), NodeName.isValid(name) else { return }
        peers.remove(name)
        if try writer.removeHost(name) {
            Log.notice("Removed host file of \(name), whose key was deleted from etcd")
            changes.removed.append(name)
        }
    }

    /// Notes a missing `configs/NAME` of ours for republishing. A different value is only
    /// reported: writing ours back would fight forever with another node that uses our name.
    private mutating func checkOurConfig(_ value: String?, revision: Int64) {
        guard let value else {
            ourConfigMissing = true
            return
        }
        ourConfigMissing = false
        if value != ourHostFile && rejections.shouldReport(keys.configKey(myself), revision: revision) {
            Log.warning("\(keys.configKey(myself)) differs from our host file; is another node using the name \(myself)?")
        }
    }

    private mutating func report(_ rejection: InvalidHostFile, revision: Int64) {
        if rejections.shouldReport(rejection.key, revision: revision) {
            Log.warning("\(rejection) (revision \(revision))")
        }
    }

    /// Recomputes the ConnectTo ring and rewrites tinc.conf. Returns the new list when it changed.
    private mutating func updateConnectTo() throws(FileError) -> [String]? {
        let ring = ConnectToRing.choose(names: peers, myself: myself, count: connectToCount)
        let changed = ring != nodeFiles.connectTo
        nodeFiles.connectTo = ring
        try writer.writeNodeFiles(nodeFiles)
        if changed {
            Log.info("ConnectTo is now: \(ring.isEmpty ? "(none)" : ring.joined(separator: ", "))")
        }
        return changed ? ring : nil
    }
}
