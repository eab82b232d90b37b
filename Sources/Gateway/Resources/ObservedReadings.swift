import CoAP
import Platform
import SenML

/// The answers of `GET /readings/{device}` that observers are registered for, kept in memory so
/// that a notification is answered without the CoAP loop reading or decrypting the store.
///
/// The GET that registers an observation reads the store off the loop and keeps its answer here;
/// each commit adds its readings to the entries of their devices (on the commit worker, before
/// the observers are notified), so an entry always holds what a fresh GET would answer. Bounded
/// in entries and in readings held, the least recently used going first; a notification whose
/// entry went is answered 5.03 by the server, and its observer registers again.
final class ObservedReadings: Sendable {
    /// What a GET asks for.
    struct Query: Hashable, Sendable {
        var device: String
        var since: Double?
        var limit: Int
        var format: ContentFormat
    }

    static let maxEntries = 256
    static let maxReadings = 50_000

    private struct Entry {
        var readings: [ReadingsStore.Reading]
        var payload: [UInt8]
        var used: UInt64
    }

    private struct State {
        var entries: [Query: Entry] = [:]
        var byDevice: [String: Set<Query>] = [:]
        var held = 0
        var clock: UInt64 = 0
    }

    private let state = Locked(State())

    /// The kept answer to `query`, if there is one.
    func answer(for query: Query) -> [UInt8]? {
        state.withLock { s in
            guard var entry = s.entries[query] else { return nil }
            s.clock += 1
            entry.used = s.clock
            let payload = entry.payload
            s.entries[query] = entry
            return payload
        }
    }

    /// Keeps the answer to `query` (an observation's registration), made of `readings`, oldest
    /// first; returns its payload.
    @discardableResult
    func keep(_ query: Query, readings: [ReadingsStore.Reading]) -> [UInt8] {
        let payload = Self.encode(readings, as: query.format)
        state.withLock { s in
            s.clock += 1
            if let old = s.entries[query] { s.held -= old.readings.count }
            s.entries[query] = Entry(readings: readings, payload: payload, used: s.clock)
            s.byDevice[query.device, default: []].insert(query)
            s.held += readings.count
            Self.evict(&s)
        }
        return payload
    }

    /// Adds newly committed readings to the entries of their devices. The answers are encoded
    /// outside the lock: the loop reads entries meanwhile.
    func add(_ readings: [ReadingsStore.Reading]) {
        let touched = state.withLock { s -> [(Query, [ReadingsStore.Reading])] in
            guard !s.entries.isEmpty else { return [] }
            var touched: Set<Query> = []
            for reading in readings {
                for query in s.byDevice[reading.device] ?? [] where query.since.map({ reading.time >= $0 }) ?? true {
                    guard var entry = s.entries[query] else { continue }
                    entry.readings.append(reading)
                    s.held += 1
                    if entry.readings.count > query.limit {
                        let extra = entry.readings.count - query.limit
                        entry.readings.removeFirst(extra)
                        s.held -= extra
                    }
                    s.entries[query] = entry
                    touched.insert(query)
                }
            }
            return touched.compactMap { query in s.entries[query].map { (query, $0.readings) } }
        }
        for (query, kept) in touched {
            let payload = Self.encode(kept, as: query.format)
            state.withLock { s in
                // Only if no later commit changed the entry meanwhile (it encodes its own).
                if s.entries[query]?.readings.last?.id == kept.last?.id { s.entries[query]?.payload = payload }
            }
        }
    }

    /// The SenML a GET answers for `readings`: their measurements as records, oldest first.
    static func encode(_ readings: [ReadingsStore.Reading], as format: ContentFormat) -> [UInt8] {
        let pack = SenMLPack(readings.flatMap { $0.measurements.map(\.record) })
        return format == .senmlCBOR ? pack.cbor() : pack.json()
    }

    private static func evict(_ s: inout State) {
        while s.entries.count > maxEntries || s.held > maxReadings,
              let oldest = s.entries.min(by: { $0.value.used < $1.value.used })
        {
            s.entries.removeValue(forKey: oldest.key)
            s.held -= oldest.value.readings.count
            s.byDevice[oldest.key.device]?.remove(oldest.key)
            if s.byDevice[oldest.key.device]?.isEmpty == true { s.byDevice.removeValue(forKey: oldest.key.device) }
        }
    }
}
