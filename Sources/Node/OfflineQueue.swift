/// What an offline queue does with a new reading when it is full.
public enum QueueOverflowPolicy: String, Sendable, Hashable, CaseIterable {
    /// Make room by dropping the oldest reading (counted in ``QueueCounters/dropped``).
    case dropOldest = "drop-oldest"
    /// Refuse the new reading (counted in ``QueueCounters/refused``; `report` throws
    /// ``NodeError/Code/queueFull``).
    case refuseNew = "refuse-new"
}

/// The readings a node holds until the gateway acknowledges them, oldest first.
///
/// With a storage, every entry is encrypted under the ``QueueStorageKey`` and written durably
/// before `append` returns; entries survive restarts and come back in order. When the storage
/// fails (a full disk), the reading is kept in memory instead and ``storageError`` says why; such
/// readings are lost if the process ends before they are delivered. Without a storage, the queue
/// is memory only.
///
/// Not thread-safe: owned by one ``NodeReporter``, used on its executor.
final class OfflineQueue {
    struct Entry {
        /// Position in this process's queue, increasing: identifies an entry while it is in flight
        /// (the head may be dropped meanwhile).
        var serial: UInt64
        /// The storage id; `nil` for a reading held only in memory.
        var id: UInt64?
        var reading: QueuedReading
    }

    enum AppendOutcome: Equatable {
        /// Durably stored (or, for a memory-only queue, queued).
        case stored
        /// The storage failed; the reading is held in memory only.
        case keptInMemory
    }

    let capacity: Int
    let overflow: QueueOverflowPolicy
    private let storage: (any QueueStorage)?
    private let cipher: QueueCipher?
    private var entries: [Entry] = []
    private var head = 0
    private var nextID: UInt64 = 1
    private var nextSerial: UInt64 = 0
    private(set) var counters = QueueCounters()
    /// The last storage failure, cleared by the next successful write.
    private(set) var storageError: NodeError?

    /// Opens the queue: with a storage, recovers its entries (oldest first), skipping and counting
    /// damaged ones.
    init(storage: (any QueueStorage)?, key: QueueStorageKey?, capacity: Int, overflow: QueueOverflowPolicy) throws {
        guard capacity >= 1 else { throw NodeError(.invalidConfiguration, "the queue capacity must be at least 1") }
        self.capacity = capacity
        self.overflow = overflow
        self.storage = storage
        guard let storage else {
            cipher = nil
            return
        }
        guard let key else {
            throw NodeError(
                .invalidConfiguration,
                "a queue on disk keeps readings encrypted under a key derived from the device secret: give the secret")
        }
        let cipher = try key.makeCipher()
        self.cipher = cipher
        counters = try storage.loadCounters()
        let (ids, interrupted) = try storage.recover()
        var damaged: [UInt64] = []
        for id in ids.sorted() {
            if let bytes = try storage.read(id: id), let plaintext = cipher.open(bytes, id: id),
               let reading = QueuedReading(storageForm: plaintext)
            {
                entries.append(Entry(serial: takeSerial(), id: id, reading: reading))
            } else {
                damaged.append(id)
            }
        }
        nextID = (ids.max() ?? 0) &+ 1
        try storage.remove(ids: damaged)
        let before = counters
        counters.corrupt += interrupted + damaged.count
        if overflow == .dropOldest && entries.count > capacity {
            let excess = entries.count - capacity
            try storage.remove(ids: entries.prefix(excess).compactMap(\.id))
            entries.removeFirst(excess)
            counters.dropped += excess
        }
        if counters != before { try storage.saveCounters(counters) }
    }

    /// Readings waiting.
    var count: Int { entries.count - head }
    var isEmpty: Bool { count == 0 }
    /// Readings waiting that exist only in memory (the storage failed when they were taken).
    var memoryOnlyCount: Int { entries[head...].reduce(0) { $0 + ($1.id == nil ? 1 : 0) } }
    /// Whether the queue is kept on disk.
    var isPersistent: Bool { storage != nil }

    /// Adds a reading at the tail. A full queue drops its oldest reading or throws
    /// ``NodeError/Code/queueFull``, by policy.
    func append(_ reading: QueuedReading) throws -> AppendOutcome {
        if count >= capacity {
            switch overflow {
            case .refuseNew:
                counters.refused += 1
                saveCounters()
                throw NodeError(.queueFull, "the queue is full (\(capacity) readings); the new reading was refused")
            case .dropOldest:
                let excess = count - capacity + 1
                removeHead(excess)
                counters.dropped += excess
                saveCounters()
            }
        }
        let serial = takeSerial()
        guard let storage, let cipher else {
            entries.append(Entry(serial: serial, id: nil, reading: reading))
            return .stored
        }
        let id = nextID
        nextID &+= 1
        do {
            try storage.write(id: id, bytes: cipher.seal(reading.storageForm(), id: id))
            storageError = nil
            entries.append(Entry(serial: serial, id: id, reading: reading))
            return .stored
        } catch let error as NodeError {
            storageError = error
            entries.append(Entry(serial: serial, id: nil, reading: reading))
            return .keptInMemory
        }
    }

    private func takeSerial() -> UInt64 {
        defer { nextSerial += 1 }
        return nextSerial
    }

    /// Up to `limit` entries from the head, oldest first.
    func peek(_ limit: Int) -> ArraySlice<Entry> {
        entries[head..<min(entries.count, head + max(0, limit))]
    }

    /// Removes the entries up to and including `serial` (the gateway acknowledged them). Entries
    /// dropped while they were in flight are already gone; later entries stay.
    func removeDelivered(through serial: UInt64) {
        removeHead(entries[head...].prefix { $0.serial <= serial }.count)
    }

    /// Removes the entry `serial`, if it is still the oldest, because the gateway refused its
    /// content for good.
    func reject(serial: UInt64) {
        guard !isEmpty, entries[head].serial == serial else { return }
        removeHead(1)
        counters.rejected += 1
        saveCounters()
    }

    private func removeHead(_ n: Int) {
        guard n > 0 else { return }
        let removed = entries[head..<head + n].compactMap(\.id)
        head += n
        if head > 256 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
        guard let storage, !removed.isEmpty else { return }
        do {
            try storage.remove(ids: removed)
        } catch let error as NodeError {
            // Delivered but still on disk: after a restart they would be sent again.
            storageError = error
        } catch {
            storageError = NodeError(.storageFailure, "\(error)")
        }
    }

    private func saveCounters() {
        guard let storage else { return }
        do {
            try storage.saveCounters(counters)
        } catch let error as NodeError {
            storageError = error
        } catch {
            storageError = NodeError(.storageFailure, "\(error)")
        }
    }
}
