/// Where the offline queue keeps its encrypted entries and its counters. The queue encrypts
/// before it calls `write`; a storage never sees a reading in clear.
///
/// ``DirectoryQueueStorage`` is the real one; tests substitute failing ones (a full disk).
protocol QueueStorage: AnyObject {
    /// The ids of the stored entries, in any order. Also clears debris of interrupted writes and
    /// returns how many there were.
    func recover() throws -> (ids: [UInt64], interruptedWrites: Int)
    /// The stored bytes of an entry, `nil` if it is gone.
    func read(id: UInt64) throws -> [UInt8]?
    /// Stores an entry durably (atomic: after a crash it is either whole or absent).
    func write(id: UInt64, bytes: [UInt8]) throws
    /// Removes entries durably.
    func remove(ids: [UInt64]) throws
    /// The persisted counters, zero when none were saved.
    func loadCounters() throws -> QueueCounters
    /// Persists the counters.
    func saveCounters(_ counters: QueueCounters) throws
}
