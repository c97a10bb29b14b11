import EventLoop
import TincBase
import TincCrypto
import TincGraph
import TincPacket

/// Option bits carried in ACK and ADD_EDGE (tinc 1.0.36 connection.h).
enum ConnectionOption {
    static let indirect: UInt32 = 0x0001
    static let tcpOnly: UInt32 = 0x0002
    static let pmtuDiscovery: UInt32 = 0x0004
    static let clampMSS: UInt32 = 0x0008
}

/// The daemon's state for one node of the VPN, ourselves included.
///
/// Keys are per direction: `opener` contains the key we generated and announced to this node in
/// ANS_KEY (the node encrypts with it, we decrypt); `sealer` contains the key the node announced to
/// us (we encrypt with it).
final class Node {
    let name: String

    /// The node's UDP address and its "ADDRESS port PORT" form, once known.
    var udpAddress: SocketAddress?
    var hostname: String = "unknown"
    /// Index of the listening socket whose family matches `udpAddress`.
    var socketIndex = 0

    /// The meta connection to this node, when we have one.
    var connection: Connection?

    // Graph results (tinc's sssp_bfs).
    var reachable = false
    var indirect = false
    var nexthop: Node?
    var via: Node?
    var prevEdge: Edge?
    var options: UInt32 = 0
    /// Nodes that tinc would have with mst status on their connection.
    var inMinimumSpanningTree = false

    // Packet keys.
    var opener: PacketOpener?
    /// The key we announced before `opener`'s. Two ANS_KEY requests can reach the node by
    /// different routes and the older one can arrive last, so the node may still use this one.
    var previousOpener: PacketOpener?
    /// When we last sent the node a new key because its packets matched none of ours.
    var lastKeyResend: Double = -1000
    var sealer: PacketSealer?
    /// The parameters of `sealer`, as the node announced them.
    var outKey: PacketKey?
    var validKey = false
    /// Rejected datagrams since the last warning about them, for rate-limited logging.
    var droppedPackets = 0
    var firstDropTime: Double = 0
    var lastDropReport: Double = -1000
    var lastKeyRequest: Double = -1000

    // Path MTU discovery (tinc 1.0.36 net_packet.c send_mtu_probe).
    var mtu = PacketLimits.mtu
    var minMTU = 0
    var maxMTU = PacketLimits.mtu
    var mtuProbes = 0
    var mtuTimer: TimerID?

    init(name: String) {
        self.name = name
    }

    /// Forgets the keys and path state after the node became unreachable or changed keys.
    func resetPathState() {
        validKey = false
        lastKeyRequest = -1000
        maxMTU = PacketLimits.mtu
        minMTU = 0
        mtuProbes = 0
    }
}
