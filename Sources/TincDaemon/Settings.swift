#if canImport(Glibc)
import Glibc
#endif
import TincBase
import TincConfig
import TincCrypto
import TincPacket

/// The forwarding mode (tinc's `Mode`).
enum RoutingMode: String {
    case router, `switch`, hub
}

/// The daemon's settings, read from tinc.conf merged with our own host file, with tincd 1.0.36's
/// defaults (net_setup.c setup_myself and setup_network).
struct Settings {
    var name: String
    var port = "655"
    var addressFamily: Int32 = AF_UNSPEC
    var bindAddresses: [(host: String?, port: String)] = []
    var mode: RoutingMode = .router
    var pingInterval = 60
    var pingTimeout = 5
    var maxTimeout = 900
    var minTimeout = 0
    var keyLifetime = 3600
    var replayWindow = 16
    var options: UInt32 = 0
    var packetCipher: CipherAlgorithm? = .aes256cbc
    var packetDigest: DigestAlgorithm? = .sha256
    var macLength = 4
    var compression = 0
    var metaCipher: CipherAlgorithm = .aes256cfb
    var interface: String?
    var device = "/dev/net/tun"
    var deviceType: String?
    var subnets: [Subnet] = []
    var connectTo: [ConfigEntry] = []
    var udpReceiveBuffer: Int?
    var udpSendBuffer: Int?
    /// Output backlog (bytes) at which every PACKET over TCP is dropped; half of it starts random early drop.
    var maxOutputBufferSize = 10 * PacketLimits.mtu
    var decrementTTL = false
    var directOnly = false

    /// Reads every setting; the error names the variable, the value and where it came from.
    init(config: Config, name: String, netname: String?) throws {
        self.name = name

        if let value = config.string("Port") { port = value }
        for entry in config.all("BindToAddress") {
            let parts = entry.value.split(separator: " ", maxSplits: 1).map(String.init)
            let host = parts[0] == "*" ? nil : parts[0]
            bindAddresses.append((host, parts.count > 1 ? parts[1] : port))
        }
        if let family = config.first("AddressFamily") {
            switch family.value.lowercased() {
            case "ipv4": addressFamily = AF_INET
            case "ipv6": addressFamily = AF_INET6
            case "any": addressFamily = AF_UNSPEC
            default: throw SettingsError.invalid(family, "IPv4, IPv6 or any expected")
            }
        }
        if let value = config.first("Mode") {
            guard let parsed = RoutingMode(rawValue: value.value.lowercased()) else {
                throw SettingsError.invalid(value, "router, switch or hub expected")
            }
            guard parsed == .router else {
                // NOTE: only Mode = router is implemented; switch and hub need a tap device and MAC learning.
                throw SettingsError.invalid(value, "only Mode = router is supported by this tincd")
            }
            mode = parsed
        }

        if let value = try config.int("PingInterval") { pingInterval = value < 1 ? 86400 : value }
        if let value = try config.int("PingTimeout") { pingTimeout = value }
        if pingTimeout < 1 || pingTimeout > pingInterval { pingTimeout = pingInterval }
        if let value = try config.int("MaxTimeout") {
            guard value > 0 else { throw SettingsError.invalid(config.first("MaxTimeout")!, "Bogus maximum timeout") }
            maxTimeout = value
        }
        if let value = try config.int("MinTimeout") {
            guard value >= 0 else { throw SettingsError.invalid(config.first("MinTimeout")!, "Bogus minimum timeout") }
            minTimeout = min(value, maxTimeout)
        }
        if let value = try config.int("KeyExpire") { keyLifetime = value }
        if let value = try config.int("ReplayWindow") {
            guard value >= 0 else { throw SettingsError.invalid(config.first("ReplayWindow")!, "ReplayWindow cannot be negative") }
            replayWindow = value
        }
        if let value = try config.int("MaxOutputBufferSize") { maxOutputBufferSize = max(1, value) }
        if let value = try config.int("UDPRcvBuf") { udpReceiveBuffer = value }
        if let value = try config.int("UDPSndBuf") { udpSendBuffer = value }

        if try config.bool("IndirectData") == true { options |= ConnectionOption.indirect }
        if try config.bool("TCPOnly") == true { options |= ConnectionOption.tcpOnly | ConnectionOption.indirect }
        if try config.bool("PMTUDiscovery") ?? (options & ConnectionOption.tcpOnly == 0) {
            options |= ConnectionOption.pmtuDiscovery
        }
        if try config.bool("ClampMSS") ?? true { options |= ConnectionOption.clampMSS }
        decrementTTL = try config.bool("DecrementTTL") ?? false
        directOnly = try config.bool("DirectOnly") ?? false

        // Packet cipher, digest, MAC length and compression, as announced in our ANS_KEY.
        if let entry = config.first("Cipher") {
            if entry.value.lowercased() == "none" {
                packetCipher = nil
            } else {
                guard let cipher = CipherAlgorithm.named(entry.value) else {
                    throw SettingsError.invalid(entry, "Unrecognized cipher type")
                }
                packetCipher = cipher
            }
        }
        if let entry = config.first("Digest") {
            if entry.value.lowercased() == "none" {
                packetDigest = nil
            } else {
                guard let digest = DigestAlgorithm.named(entry.value) else {
                    throw SettingsError.invalid(entry, "Unrecognized digest type")
                }
                packetDigest = digest
            }
        }
        if let value = try config.int("MACLength") {
            if let digest = packetDigest, value > digest.size {
                throw SettingsError.invalid(config.first("MACLength")!, "MAC length exceeds size of digest")
            }
            guard value >= 0 else { throw SettingsError.invalid(config.first("MACLength")!, "Bogus MAC length") }
            macLength = value
        }
        if let value = try config.int("Compression") {
            guard (0...11).contains(value) else {
                throw SettingsError.invalid(config.first("Compression")!, "Bogus compression level")
            }
            compression = value
        }

        // The meta connection always uses a stream cipher: AES in CFB mode with a key size that
        // matches the packet cipher's (tinc 1.0.36 net_setup.c), so `Cipher = none` still gets some.
        let keyLength = packetCipher?.keyLength ?? 0
        if keyLength <= 16 {
            metaCipher = .aes128cfb
        } else if keyLength <= 24 {
            metaCipher = .aes192cfb
        } else {
            metaCipher = .aes256cfb
        }

        interface = config.string("Interface") ?? netname
        if let value = config.string("Device") { device = value }
        if let value = config.first("DeviceType") {
            let type = value.value.lowercased()
            guard type == "tun" || type == "dummy" else {
                throw SettingsError.invalid(value, "only DeviceType = tun or dummy is supported by this tincd")
            }
            deviceType = type
        }

        subnets = try config.subnets("Subnet")
        connectTo = config.all("ConnectTo")
    }
}

enum SettingsError: Error, CustomStringConvertible {
    case invalid(ConfigEntry, String)

    var description: String {
        switch self {
        case .invalid(let entry, let reason):
            let place = entry.file.map { "in \($0) line \(entry.line)" } ?? "in command line option \(entry.line)"
            return "\(reason): \(entry.variable) = \(entry.value) \(place)"
        }
    }
}
