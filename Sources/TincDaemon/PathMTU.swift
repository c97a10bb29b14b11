import EventLoop
import TincBase
import TincCrypto
import TincPacket

/// Path MTU discovery over UDP (tinc 1.0.36 send_mtu_probe and mtu_probe_h).
///
/// Probes are packets whose EtherType bytes are zero; the receiver sends each one back with its
/// first byte set to 1. Until a probe returns, `minMTU` is 0 and every packet goes over the meta
/// connection, so a reply is also the proof that UDP works both ways. The probe counter runs:
/// 1...29 discovery in bursts a second apart, 30 fixes the MTU, 31 waits PingInterval,
/// 32 sends one burst and waits PingTimeout, 33 means no answer and restarts discovery.
extension Daemon {
    func sendMTUProbe(_ node: Node) {
        node.mtuProbes += 1
        node.mtuTimer = nil
        guard node.reachable && node.validKey else {
            Log.debug(.traffic, .info, "Trying to send MTU probe to unreachable or rekeying node \(node.name) (\(node.hostname))")
            node.mtuProbes = 0
            return
        }

        var timeout = 1.0
        if node.mtuProbes > 32 {
            if node.minMTU == 0 {
                node.mtuProbes = 31
                scheduleMTUProbe(node, after: Double(settings.pingInterval))
                return
            }
            Log.debug(.traffic, .info, "\(node.name) (\(node.hostname)) did not respond to UDP ping, restarting PMTU discovery")
            node.mtuProbes = 1
            node.minMTU = 0
            node.maxMTU = PacketLimits.mtu
        }
        if node.mtuProbes >= 10 && node.mtuProbes < 32 && node.minMTU == 0 {
            Log.debug(.traffic, .info, "No response to MTU probes from \(node.name) (\(node.hostname))")
            node.mtuProbes = 31
        }
        if node.mtuProbes == 30 || (node.mtuProbes < 30 && node.minMTU >= node.maxMTU) {
            if node.minMTU > node.maxMTU { node.minMTU = node.maxMTU } else { node.maxMTU = node.minMTU }
            node.mtu = node.minMTU
            Log.debug(.traffic, .info, "Fixing MTU of \(node.name) (\(node.hostname)) to \(node.mtu) after \(node.mtuProbes) probes")
            node.mtuProbes = 31
        }
        if node.mtuProbes == 31 {
            scheduleMTUProbe(node, after: Double(settings.pingInterval))
            return
        } else if node.mtuProbes == 32 {
            timeout = Double(settings.pingTimeout)
        }

        for index in 0..<4 {
            var length: Int
            if index == 0 {
                // After discovery, one probe above the known MTU checks whether the path grew.
                if node.mtuProbes < 30 || node.maxMTU + 8 >= PacketLimits.mtu { continue }
                length = node.maxMTU + 8
            } else if node.maxMTU <= node.minMTU {
                length = node.maxMTU
            } else {
                length = node.minMTU + 1 + Int.random(in: 0..<(node.maxMTU - node.minMTU))
            }
            length = max(length, 64)
            let probe = UnsafeMutableRawBufferPointer(rebasing: probeBuffer[0..<length])
            for offset in 0..<14 { probe[offset] = 0 }
            Crypto.randomBytes(into: UnsafeMutableRawBufferPointer(rebasing: probe[14...]))
            Log.debug(.traffic, .info, "Sending MTU probe length \(length) to \(node.name) (\(node.hostname))")
            sendUDPPacket(to: node, probe)
        }
        scheduleMTUProbe(node, after: timeout)
    }

    private func scheduleMTUProbe(_ node: Node, after seconds: Double) {
        let name = node.name
        node.mtuTimer = loop.schedule(after: seconds) { [unowned self] in
            guard let node = self.nodes[name] else { return }
            self.sendMTUProbe(node)
        }
    }

    func handleMTUProbe(from node: Node, _ packet: UnsafeMutableRawBufferPointer, length: Int) {
        Log.debug(.traffic, .info, "Got MTU probe length \(packet.count) from \(node.name) (\(node.hostname))")
        if packet[0] == 0 {
            packet[0] = 1
            sendUDPPacket(to: node, packet)
            return
        }
        var length = length
        if node.mtuProbes > 30 {
            if length == node.maxMTU + 8 {
                Log.debug(.traffic, .info, "Increase in PMTU to \(node.name) (\(node.hostname)) detected, restarting PMTU discovery")
                node.maxMTU = PacketLimits.mtu
                node.mtuProbes = 10
                return
            }
            node.mtuProbes = node.minMTU > 0 ? 30 : 1
        }
        if length > node.maxMTU { length = node.maxMTU }
        if node.minMTU < length { node.minMTU = length }
    }
}
