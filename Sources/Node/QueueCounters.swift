/// What happened to readings that were not delivered, counted across restarts (they are kept
/// in the node's data directory next to the queue; they reveal no reading).
public struct QueueCounters: Sendable, Hashable {
    /// Oldest readings dropped to make room (policy `dropOldest`).
    public var dropped: Int = 0
    /// New readings refused because the queue was full (policy `refuseNew`).
    public var refused: Int = 0
    /// Readings the gateway refused for their content (4.00, 4.02, 4.13, 4.15, 4.22 for a message
    /// holding only that reading), removed so they do not block the queue.
    public var rejected: Int = 0
    /// Entries found damaged (torn by a crash mid-write, or altered) and skipped.
    public var corrupt: Int = 0

    /// All counters at zero.
    public init() {}

    /// `dropped=0 refused=0 rejected=0 corrupt=0`: the form saved on disk.
    var text: String { "dropped=\(dropped) refused=\(refused) rejected=\(rejected) corrupt=\(corrupt)\n" }

    /// Parses ``text``; unknown or malformed fields are ignored (counters are informative only).
    init(text: String) {
        for field in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = field.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Int(parts[1]), value >= 0 else { continue }
            switch parts[0] {
            case "dropped": dropped = value
            case "refused": refused = value
            case "rejected": rejected = value
            case "corrupt": corrupt = value
            default: continue
            }
        }
    }
}
