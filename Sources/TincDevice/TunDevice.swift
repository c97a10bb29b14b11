#if canImport(Glibc)
import Glibc
#endif
import CShim
import TincBase

/// Where the daemon reads outgoing packets and writes incoming ones.
///
/// Packets cross this boundary in tinc's in-memory layout: a 14-byte Ethernet header followed by
/// the payload. In router mode over a tun device the header's two MAC addresses are zero and only
/// the EtherType is meaningful, exactly as tincd 1.0.36 builds it.
public protocol PacketDevice: AnyObject {
    var fileDescriptor: Int32 { get }
    var interfaceName: String { get }
    var deviceName: String { get }

    /// Reads one packet into `buffer`; returns its length, 0 if none is ready, nil on error.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int?

    /// Writes one packet; `packet` may be modified in its first 14 bytes.
    func write(_ packet: UnsafeMutableRawBufferPointer) -> Bool

    func close()
}

public struct DeviceError: Error, CustomStringConvertible {
    public let description: String
}

/// A Linux tun device (`/dev/net/tun`, IFF_TUN with packet information).
///
/// The kernel prefixes each packet with 4 bytes of packet information: 2 bytes of flags and the
/// 2-byte EtherType. Reading at offset 10 of the packet buffer puts the EtherType at offset 12,
/// where an Ethernet header keeps it, so no copy is needed in either direction.
public final class TunDevice: PacketDevice {
    public let fileDescriptor: Int32
    public let interfaceName: String
    public let deviceName: String
    private var readErrors = 0

    /// Opens `device` and attaches it to the interface `requestedName` (created if missing;
    /// the kernel picks a name when it is empty).
    public init(device: String = "/dev/net/tun", requestedName: String) throws {
        let fd = Glibc.open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            throw DeviceError(description: "Could not open \(device): \(String(cString: strerror(errno)))")
        }
        var name = [CChar](repeating: 0, count: Int(CSHIM_IFNAMSIZ))
        for (index, byte) in requestedName.utf8.prefix(Int(CSHIM_IFNAMSIZ) - 1).enumerated() {
            name[index] = CChar(bitPattern: byte)
        }
        if cshim_tun_setiff(fd, &name, 1) < 0 {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw DeviceError(description: "Error while trying to configure \(device): \(reason)")
        }
        fileDescriptor = fd
        interfaceName = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        deviceName = device
        Log.info("\(device) is a Linux tun/tap device (tun mode)")
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let count = Glibc.read(fileDescriptor, buffer.baseAddress! + 10, buffer.count - 10)
        if count < 0 {
            if errno == EAGAIN || errno == EINTR { return 0 }
            Log.error("Error while reading from Linux tun/tap device (tun mode) \(deviceName): \(String(cString: strerror(errno)))")
            return nil
        }
        if count < 4 { return 0 }
        memset(buffer.baseAddress!, 0, 12)
        return count + 10
    }

    public func write(_ packet: UnsafeMutableRawBufferPointer) -> Bool {
        guard packet.count > 14 else { return false }
        packet[10] = 0
        packet[11] = 0
        let count = Glibc.write(fileDescriptor, packet.baseAddress! + 10, packet.count - 10)
        if count < 0 {
            Log.error("Can't write to Linux tun/tap device (tun mode) \(deviceName): \(String(cString: strerror(errno)))")
            return false
        }
        return true
    }

    public func close() {
        Glibc.close(fileDescriptor)
    }
}

/// A device that drops what it is given and never produces packets (`DeviceType = dummy`).
public final class DummyDevice: PacketDevice {
    public let fileDescriptor: Int32 = -1
    public let interfaceName = "dummy"
    public let deviceName = "dummy"
    public init() {}
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int? { 0 }
    public func write(_ packet: UnsafeMutableRawBufferPointer) -> Bool { true }
    public func close() {}
}
