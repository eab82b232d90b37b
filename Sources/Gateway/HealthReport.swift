/// What `GET /health` answers: uptime, store status and counts, as a JSON object with its keys
/// in sorted order.
///
/// Written by hand, not with `JSONSerialization`: the health check is open to anyone and runs on
/// the CoAP loop, and Foundation's serializer (sorting keys with locale-aware string compares)
/// took ~300 µs of the loop per request — a few thousand anonymous GETs per second would have
/// starved ingestion. Every value is an integer or one of a few fixed ASCII words.
struct HealthReport {
    var storeReadable: Bool
    var uptimeSeconds: Int
    var durability: ReadingsDurability
    var readingsTotal: Int
    var readingsSinceStart: Int
    var commitsSinceStart: Int
    var recordsDroppedByAllowList: Int

    /// The JSON object, keys sorted (as the earlier serializer wrote them).
    func json() -> [UInt8] {
        let fields: [(String, String)] = [
            ("commits_since_start", String(commitsSinceStart)),
            ("durability", quoted(durability.rawValue)),
            ("readings_since_start", String(readingsSinceStart)),
            ("readings_total", String(storeReadable ? readingsTotal : -1)),
            ("records_dropped_by_allow_list", String(recordsDroppedByAllowList)),
            ("status", quoted(storeReadable ? "ok" : "degraded")),
            ("store", quoted(storeReadable ? "ok" : "unavailable")),
            ("uptime_s", String(uptimeSeconds)),
        ]
        return Array(("{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}").utf8)
    }

    /// A fixed ASCII word (a raw value of ours, never outside input) as a JSON string.
    private func quoted(_ word: String) -> String { "\"\(word)\"" }
}
