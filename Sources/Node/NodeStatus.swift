/// A snapshot of a reporter: what waits, what was delivered, what was lost and why.
public struct NodeStatus: Sendable, Hashable {
    /// Readings waiting for the gateway (on disk and in memory).
    public var queued: Int
    /// Of those, readings held only in memory because the disk failed: lost if the process ends.
    public var queuedInMemoryOnly: Int
    /// Readings the gateway acknowledged since this reporter started.
    public var delivered: Int
    /// Dropped, refused, rejected and corrupt readings, counted across restarts when the queue is
    /// on disk.
    public var counters: QueueCounters
    /// Why the last delivery attempt failed, if it did (a transport error or the gateway's code).
    public var lastDeliveryError: String?
    /// Why the last write to the data directory failed, until one succeeds again.
    public var storageError: String?
    /// The kid messages are sealed with, `nil` when sealing is off.
    public var kid: [UInt8]?
    /// Consecutive failed delivery attempts (0 after a success).
    public var consecutiveFailures: Int

    /// Creates a snapshot (the reporter makes them; see ``NodeReporter/status``).
    public init(
        queued: Int = 0, queuedInMemoryOnly: Int = 0, delivered: Int = 0, counters: QueueCounters = QueueCounters(),
        lastDeliveryError: String? = nil, storageError: String? = nil, kid: [UInt8]? = nil, consecutiveFailures: Int = 0
    ) {
        self.queued = queued
        self.queuedInMemoryOnly = queuedInMemoryOnly
        self.delivered = delivered
        self.counters = counters
        self.lastDeliveryError = lastDeliveryError
        self.storageError = storageError
        self.kid = kid
        self.consecutiveFailures = consecutiveFailures
    }
}
