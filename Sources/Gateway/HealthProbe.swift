import Foundation
import LibCrypto

/// The store check behind `GET /health`: made off the CoAP loop, at most once per ``interval``.
///
/// `/health` is open to anyone and answered on the CoAP loop; a read of the store on every request
/// (a pooled reader, a transaction) was ~140 µs of the loop's CPU (GET /health went from 156 to
/// 18 µs when it left), so an anonymous client could have starved ingestion with health checks
/// alone. The check opens the file on a connection of its own (``ReadingsStore/opensAndReads()``):
/// a pooled reader already open goes on reading a file removed underneath it. That open costs
/// ~0.6 ms (measured in a debug build), too long to stall the loop for, so a request that finds
/// the last result older than ``interval`` gets that result and starts a new check on a utility
/// queue: a store that stops being readable shows within about ``interval`` and one more request.
final class HealthProbe: Sendable {
    static let interval = Duration.seconds(1)

    private struct State {
        var at: ContinuousClock.Instant
        var readable: Bool
        var checking = false
    }

    private let store: ReadingsStore
    private let state: Locked<State>
    private let queue = DispatchQueue(label: "securecoap.gateway.health-probe", qos: .utility)

    /// Checks once now (the caller is not the loop: the gateway is being set up).
    init(store: ReadingsStore) {
        self.store = store
        state = Locked(State(at: .now, readable: store.opensAndReads()))
    }

    /// Whether the store answered a read at the last check; starts a new check when that one is
    /// older than ``interval``.
    func storeReadable() -> Bool {
        let now = ContinuousClock.now
        let (readable, check) = state.withLock { s -> (Bool, Bool) in
            guard !s.checking, now - s.at >= Self.interval else { return (s.readable, false) }
            s.checking = true
            return (s.readable, true)
        }
        if check {
            queue.async { [self] in
                let readable = store.opensAndReads()
                state.withLock { $0 = State(at: .now, readable: readable) }
            }
        }
        return readable
    }
}
