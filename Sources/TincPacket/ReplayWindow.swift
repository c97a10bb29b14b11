/// tinc 1.0.36's replay protection for one peer's packets (receive_udppacket in net_packet.c).
///
/// `late` is a ring of `byteCount * 8` bits, one per seqno: a set bit marks a packet that was
/// skipped and may still arrive once. A seqno at least a whole window ahead counts as
/// "far future": the first `byteCount / 4` of those in a row are dropped, and the next is taken
/// as a sign of real loss, which restarts the window there. All seqno arithmetic is on UInt32
/// and wraps, as in tinc.
final class ReplayWindow {
    enum Verdict {
        case accepted
        /// Accepted after a gap of more than a window; tinc logs "Lost N packets".
        case acceptedAfterLoss(lost: UInt32)
        case replayed
        case farFuture
    }

    /// Window size in bytes (tinc's ReplayWindow); 0 turns replay checks off.
    let byteCount: UInt32
    private let late: UnsafeMutableBufferPointer<UInt8>
    /// The highest seqno received so far (tinc's received_seqno).
    var received: UInt32 = 0
    /// Far-future packets in a row (tinc's farfuture).
    var farFuture: UInt32 = 0

    init(byteCount: Int) {
        precondition(byteCount >= 0 && byteCount <= Int(UInt32.max / 8), "replay window of \(byteCount) bytes out of range")
        self.byteCount = UInt32(byteCount)
        late = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(byteCount, 1))
        late.initialize(repeating: 0)
    }

    deinit {
        late.deallocate()
    }

    /// Decides whether `seqno` is accepted and updates the window the way tinc 1.0.36 does.
    func check(_ seqno: UInt32) -> Verdict {
        var verdict = Verdict.accepted

        if byteCount != 0 {
            let windowBits = byteCount &* 8
            if seqno != received &+ 1 {
                if seqno >= received &+ windowBits {
                    // tinc increments farfuture in the comparison itself, so the count goes up
                    // whether or not the packet is dropped.
                    let previous = farFuture
                    farFuture &+= 1
                    if previous < byteCount >> 2 {
                        return .farFuture
                    }
                    verdict = .acceptedAfterLoss(lost: seqno &- received &- 1)
                    late.update(repeating: 0)
                } else if seqno <= received {
                    let tooOld = received >= windowBits && seqno <= received &- windowBits
                    if tooOld || !isLate(seqno) {
                        return .replayed
                    }
                } else {
                    // Mark every seqno skipped between the last one and this one as late.
                    var skipped = received &+ 1
                    while skipped < seqno {
                        setLate(skipped)
                        skipped &+= 1
                    }
                }
            }

            farFuture = 0
            clearLate(seqno)
        }

        if seqno > received {
            received = seqno
        }
        return verdict
    }

    private func position(_ seqno: UInt32) -> (index: Int, mask: UInt8) {
        (Int((seqno / 8) % byteCount), UInt8(1) << (seqno % 8))
    }

    private func isLate(_ seqno: UInt32) -> Bool {
        let (index, mask) = position(seqno)
        return late[index] & mask != 0
    }

    private func setLate(_ seqno: UInt32) {
        let (index, mask) = position(seqno)
        late[index] |= mask
    }

    private func clearLate(_ seqno: UInt32) {
        let (index, mask) = position(seqno)
        late[index] &= ~mask
    }
}
