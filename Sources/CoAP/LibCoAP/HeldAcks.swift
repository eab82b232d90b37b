/// Confirmable requests whose ACK the server holds back so that a late answer can ride on it
/// (RFC 7252 §5.2.1), oldest first. Every request is held for the same time, so arrival order is
/// deadline order and a FIFO serves as the timer queue: one sweep timer for all of them instead of
/// a timer per request. Loop thread only.
struct HeldAcks {
    private var entries: [(answer: LateAnswer, deadline: UInt64)] = []
    private var head = 0

    var isEmpty: Bool { head == entries.count }

    /// The deadline of the oldest entry still queued.
    var nextDeadline: UInt64? { isEmpty ? nil : entries[head].deadline }

    mutating func append(_ answer: LateAnswer, deadline: UInt64) {
        entries.append((answer, deadline))
    }

    /// Removes and returns the answers whose deadline is at or before `now`, oldest first. Some
    /// may have been sent meanwhile: the caller checks ``LateAnswer/holdsAck``.
    mutating func popDue(now: UInt64) -> [LateAnswer] {
        var due: [LateAnswer] = []
        while head < entries.count, entries[head].deadline <= now {
            due.append(entries[head].answer)
            head += 1
        }
        if head == entries.count {
            entries.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024, head * 2 >= entries.count {
            entries.removeFirst(head)
            head = 0
        }
        return due
    }

    /// Everything still queued (teardown).
    mutating func removeAll() -> [LateAnswer] {
        defer {
            entries.removeAll()
            head = 0
        }
        return entries[head...].map(\.answer)
    }
}
