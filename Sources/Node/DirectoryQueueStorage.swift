import Platform

/// The offline queue on disk: one file per entry, written atomically.
///
/// Layout inside the queue directory:
/// - `<16 hex digits>.entry`: an encrypted entry (see ``QueueStorageKey``), named by its id;
/// - `*.tmp`: a write a crash interrupted (removed, and counted, on recovery);
/// - `counters`: ``QueueCounters`` as one line of text.
///
/// An entry is written to `<name>.tmp`, fsynced, renamed into place and the directory fsynced, so
/// a crash leaves it whole or absent; a reading is acknowledged to the caller only after that.
final class DirectoryQueueStorage: QueueStorage {
    let directory: String
    private static let suffix = ".entry"
    /// Entries larger than this are not ours (a reading is at most a few kilobytes).
    static let maxEntryBytes = 1 << 20

    init(directory: String) throws {
        self.directory = directory
        try NodeError.storage { try DurableFile.makeDirectory(directory) }
    }

    private func path(_ id: UInt64) -> String {
        let hex = String(id, radix: 16)
        return directory + "/" + String(repeating: "0", count: max(0, 16 - hex.count)) + hex + Self.suffix
    }

    func recover() throws -> (ids: [UInt64], interruptedWrites: Int) {
        var ids: [UInt64] = []
        var debris: [String] = []
        for name in try NodeError.storage({ try DurableFile.list(directory) }) {
            if name.hasSuffix(".tmp") {
                debris.append(directory + "/" + name)
            } else if name.hasSuffix(Self.suffix), let id = UInt64(name.dropLast(Self.suffix.count), radix: 16) {
                ids.append(id)
            }
        }
        let interrupted = debris.filter { $0.hasSuffix(Self.suffix + ".tmp") }.count
        try NodeError.storage { try DurableFile.remove(debris, directory: directory) }
        return (ids, interrupted)
    }

    func read(id: UInt64) throws -> [UInt8]? {
        try NodeError.storage { try DurableFile.contents(of: path(id), maxBytes: Self.maxEntryBytes) }
    }

    func write(id: UInt64, bytes: [UInt8]) throws {
        try NodeError.storage { try DurableFile.replace(path(id), with: bytes) }
    }

    func remove(ids: [UInt64]) throws {
        try NodeError.storage { try DurableFile.remove(ids.map(path), directory: directory) }
    }

    func loadCounters() throws -> QueueCounters {
        let file = directory + "/counters"
        guard let bytes = try NodeError.storage({ try DurableFile.contents(of: file, maxBytes: 4096) }) else {
            return QueueCounters()
        }
        return QueueCounters(text: String(decoding: bytes, as: UTF8.self))
    }

    func saveCounters(_ counters: QueueCounters) throws {
        try NodeError.storage { try DurableFile.replace(directory + "/counters", with: Array(counters.text.utf8)) }
    }
}
