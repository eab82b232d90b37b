/// What one call to ``NodeReporter/report(_:takenAt:)`` or ``NodeReporter/flush(timeout:)`` did.
public struct DeliveryReport: Sendable, Hashable {
    /// Readings the gateway acknowledged during the call.
    public var delivered: Int
    /// The messages that were acknowledged, with their bytes on the wire.
    public var messages: [WireAccounting]
    /// Readings still waiting when the call returned.
    public var queued: Int
    /// Why delivery stopped before the queue was empty, if it did.
    public var error: String?
    /// `true` when the new reading could not be written to disk and is held in memory only
    /// (``NodeStatus/storageError`` says why).
    public var keptInMemoryOnly: Bool

    /// Creates a report (the reporter makes them).
    public init(delivered: Int = 0, messages: [WireAccounting] = [], queued: Int = 0, error: String? = nil, keptInMemoryOnly: Bool = false) {
        self.delivered = delivered
        self.messages = messages
        self.queued = queued
        self.error = error
        self.keptInMemoryOnly = keptInMemoryOnly
    }
}
