import CoAP

/// Sealed messages accepted in the last EXCHANGE_LIFETIME (247 s, RFC 7252 §4.8.2), by kid and
/// sequence number, with a digest of the bytes and the sender: a CON retransmission of an
/// accepted message is answered again instead of being refused as a replay.
///
/// The digest is a keyed 64-bit hash (Swift's `Hasher`: SipHash under a key drawn at random per
/// process), not SHA-256: it only tells a retransmission (same bytes) from another message under
/// the same kid and number, which only the key's holder can make, and nobody outside the process
/// knows the hash key to aim for a collision. It costs no allocation and no OpenSSL call on the
/// commit worker (Benchmarks/RESULTS.md, "Measurements behind the code").
///
/// Bounded: at most `capacity` entries, the oldest forgotten first (then a retransmission older
/// than that is refused as a replay, which stores nothing twice either). Insert and lookup are
/// O(1); nothing is scanned.
struct RecentMessages {
    struct Entry {
        var time: Double
        var digest: Int
        var peer: CoAPPeerAddress?
    }

    static let lifetime: Double = 247

    let capacity: Int
    private var entries: [SealedMessageID: Entry] = [:]
    /// Keys in insertion order, as a ring: `order[head...]` then `order[..<head]` once full.
    private var order: [SealedMessageID] = []
    private var head = 0

    init(capacity: Int = 10_000) {
        self.capacity = capacity
        entries.reserveCapacity(capacity)
    }

    /// The digest of a message's bytes (see the type's comment).
    static func digest(of bytes: [UInt8]) -> Int {
        var hasher = Hasher()
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }

    /// The entry for `key`, if it is younger than the lifetime at `now`.
    func lookup(_ key: SealedMessageID, now: Double) -> Entry? {
        guard let entry = entries[key], now - entry.time < Self.lifetime else { return nil }
        return entry
    }

    mutating func insert(_ key: SealedMessageID, _ entry: Entry) {
        if entries.updateValue(entry, forKey: key) != nil { return }
        if order.count < capacity {
            order.append(key)
            return
        }
        // Full: the oldest key makes room (its entry goes, unless it was inserted again since).
        let oldest = order[head]
        if oldest != key, let e = entries[oldest], e.time <= entry.time { entries.removeValue(forKey: oldest) }
        order[head] = key
        head = (head + 1) % capacity
    }

    var count: Int { entries.count }
}
