/// Confirmable requests whose ACK the server holds back so that a deferred answer can ride on it
/// (RFC 7252 §5.2.1), oldest first. Every request is held for the same time, so arrival order is
/// deadline order and a FIFO serves as the timer queue: one sweep timer for all of them instead of
/// a timer per request. Loop thread only.
struct HeldAcks {
    private var entries: [(id: UInt64, deadline: UInt64)] = []
    private var head = 0

    var isEmpty: Bool { head == entries.count }

    /// The deadline of the oldest entry still queued.
    var nextDeadline: UInt64? { isEmpty ? nil : entries[head].deadline }

    mutating func append(id: UInt64, deadline: UInt64) {
        entries.append((id, deadline))
    }

    /// Removes and returns the ids whose deadline is at or before `now`, oldest first. Some may
    /// have been answered meanwhile: the caller checks.
    mutating func popDue(now: UInt64) -> [UInt64] {
        var due: [UInt64] = []
        while head < entries.count, entries[head].deadline <= now {
            due.append(entries[head].id)
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

    /// Forgets everything (teardown).
    mutating func removeAll() {
        entries.removeAll()
        head = 0
    }
}
