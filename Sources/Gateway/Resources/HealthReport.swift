/// What `GET /health` answers: uptime, store status and counts, as a JSON object with its keys
/// in sorted order.
///
/// Written by hand, not with `JSONSerialization`: the health check is open to anyone and answered
/// on the CoAP loop, where Foundation's serializer was costly enough for anonymous requests to
/// starve ingestion (Benchmarks/RESULTS.md, "Measurements behind the code"). Every value is an
/// integer or one of a few fixed ASCII words (raw values of ours, never outside input), so nothing
/// needs escaping.
struct HealthReport {
    /// The store's state, as `/health` names it.
    enum Store: String {
        case ok
        /// It does not answer a read.
        case unavailable
        /// Its file system is full (the last commit said so, or free space is under ``lowSpaceBytes``).
        case full
        /// The last commit failed for another reason.
        case failing
    }

    /// Free space under which the store reports `full`: a commit would soon fail.
    static let lowSpaceBytes = 1 << 20

    var store: Store
    var diskFreeBytes: Int?
    var uptimeSeconds: Int
    var durability: ReadingsDurability
    var readingsTotal: Int
    var readingsSinceStart: Int
    var commitsSinceStart: Int
    var recordsDroppedByAllowList: Int

    /// The JSON object, keys sorted, written straight into bytes.
    func json() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(192)
        func key(_ name: StaticString) {
            out.append(out.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
            out.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        func number(_ name: StaticString, _ value: Int) {
            key(name)
            out.append(contentsOf: String(value).utf8)
        }
        func word(_ name: StaticString, _ value: String) {
            key(name)
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: value.utf8)
            out.append(UInt8(ascii: "\""))
        }
        number("commits_since_start", commitsSinceStart)
        number("disk_free_bytes", diskFreeBytes ?? -1)
        word("durability", durability.rawValue)
        number("readings_since_start", readingsSinceStart)
        number("readings_total", store == .unavailable ? -1 : readingsTotal)
        number("records_dropped_by_allow_list", recordsDroppedByAllowList)
        word("status", store == .ok ? "ok" : "degraded")
        word("store", store.rawValue)
        number("uptime_s", uptimeSeconds)
        out.append(UInt8(ascii: "}"))
        return out
    }
}
