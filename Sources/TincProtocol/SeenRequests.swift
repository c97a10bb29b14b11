/// Broadcast requests already handled, keyed by the whole line (tinc 1.0.36's past_request_tree).
///
/// Broadcasts flood every meta connection, so each node receives a request once per path. The
/// random nonce in ADD_EDGE, ADD_SUBNET and the like makes each new broadcast a distinct line,
/// while copies of it arriving by other paths match and are dropped.
public struct SeenRequests {
    /// tinc 1.0.36 keeps every line until it ages out, so a peer that floods distinct lines can
    /// grow this set without limit. Past this many lines the oldest is forgotten early, and a copy
    /// of it arriving later is handled and forwarded once more. Handlers treat a known edge or
    /// subnet as a no-op, so that costs bandwidth and no state.
    public static let defaultCapacity = 100_000

    public let capacity: Int

    /// First-seen time by line. The key is the line's bytes because tinc compares with strcmp,
    /// while Swift's `String` equality treats canonically equivalent texts as equal.
    private var firstSeen: [[UInt8]: Int] = [:]
    /// Lines in the order they were first seen, which is also the order of their times because
    /// `now` never decreases. Entries before `head` are already removed.
    private var order: [(line: [UInt8], time: Int)] = []
    private var head = 0

    public init(capacity: Int = SeenRequests.defaultCapacity) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
    }

    public var count: Int { firstSeen.count }

    /// Returns true when `line` was seen before; otherwise records it as first seen at `now` and
    /// returns false. `now` is in seconds and must not decrease between calls.
    public mutating func seen(_ line: Substring, now: Int) -> Bool {
        let key = Self.key(line)
        if firstSeen[key] != nil { return true }

        if firstSeen.count >= capacity { removeOldest() }
        firstSeen[key] = now
        order.append((key, now))
        return false
    }

    /// Forgets the lines first seen at least `pingInterval` seconds before `now`, as tinc does on
    /// each ping timer tick. Returns how many were forgotten.
    @discardableResult
    public mutating func age(now: Int, pingInterval: Int) -> Int {
        var removed = 0
        while head < order.count, order[head].time + pingInterval <= now {
            removeOldest()
            removed += 1
        }
        return removed
    }

    private mutating func removeOldest() {
        firstSeen[order[head].line] = nil
        head += 1

        // Drop the removed prefix once it is at least half of the array, so removal stays O(1)
        // amortized and the array does not grow without bound.
        if head >= 1024, head * 2 >= order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    /// tinc compares the C string, which ends at the first NUL byte.
    private static func key(_ line: Substring) -> [UInt8] {
        let bytes = line.utf8
        return Array(bytes.prefix { $0 != 0 })
    }
}
