import LibCrypto

/// The store check behind `GET /health`, made at most once per ``interval``.
///
/// `/health` is open to anyone and answered on the CoAP loop; a read of the store on every request
/// (a pooled reader, a transaction) was ~140 µs of the loop's CPU (GET /health went from 156 to
/// 18 µs when it left), so an anonymous client could have starved ingestion with health checks
/// alone. The check opens the file on a connection of its own (``ReadingsStore/opensAndReads()``):
/// a pooled reader already open goes on reading a file removed underneath it. Between checks the
/// last result stands: a store that stops being readable shows within ``interval``.
final class HealthProbe: Sendable {
    static let interval = Duration.seconds(1)

    private let store: ReadingsStore
    private let last = Locked<(at: ContinuousClock.Instant, readable: Bool)?>(nil)

    init(store: ReadingsStore) { self.store = store }

    /// Whether the store answered a read at the last check (made now if the last is too old).
    func storeReadable() -> Bool {
        let now = ContinuousClock.now
        if let checked = last.withLock({ $0 }), now - checked.at < Self.interval { return checked.readable }
        let readable = store.opensAndReads()
        last.withLock { $0 = (now, readable) }
        return readable
    }
}
