import TincCrypto
import TincPacket
import XCTest

extension Array where Element == UInt8 {
    init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self = bytes
    }

    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

/// Returns a payload as tinc keeps it in router mode: 12 zero bytes, the IPv4 ethertype, then `body`.
func ipv4Payload(_ body: [UInt8]) -> [UInt8] {
    [UInt8](repeating: 0, count: 12) + [0x08, 0x00] + body
}

/// Bytes that compress well: a repeating text.
func compressiblePayload(length: Int) -> [UInt8] {
    let text = Array("tinc is a Virtual Private Network daemon. ".utf8)
    return ipv4Payload((0..<(length - 14)).map { text[$0 % text.count] })
}

/// Random bytes, which compression can only make longer.
func randomPayload(length: Int) -> [UInt8] {
    ipv4Payload(Crypto.randomBytes(length - 14))
}

func seal(_ sealer: PacketSealer, _ payload: [UInt8]) -> [UInt8]? {
    var datagram = [UInt8](repeating: 0, count: PacketLimits.maxDatagram)
    let length = payload.withUnsafeBytes { payloadBytes in
        datagram.withUnsafeMutableBytes { sealer.seal(payloadBytes, into: $0) }
    }
    return length.map { Array(datagram[..<$0]) }
}

func open(_ opener: PacketOpener, _ datagram: [UInt8]) -> Result<(payload: [UInt8], originalLength: Int), OpenError> {
    var output = [UInt8](repeating: 0, count: PacketLimits.maxSize)
    let result = datagram.withUnsafeBytes { datagramBytes in
        output.withUnsafeMutableBytes { outputBytes in
            Result { () throws(OpenError) in try opener.open(datagramBytes, into: outputBytes) }
        }
    }
    return result.map { (Array(output[..<$0.length]), $0.originalLength) }
}

/// Makes a sealer and an opener that share one freshly generated key.
func makePair(cipher: String?, digest: String?, macLength: Int, compression: Int = 0,
              replayWindow: Int = 16) throws -> (PacketSealer, PacketOpener) {
    let cipherAlgorithm = try cipher.map { try XCTUnwrap(CipherAlgorithm.named($0)) }
    let digestAlgorithm = try digest.map { try XCTUnwrap(DigestAlgorithm.named($0)) }
    let key = PacketKey.generate(cipher: cipherAlgorithm, digest: digestAlgorithm, macLength: macLength,
                                 compression: compression)
    return (try PacketSealer(key: key), try PacketOpener(key: key, replayWindow: replayWindow))
}
