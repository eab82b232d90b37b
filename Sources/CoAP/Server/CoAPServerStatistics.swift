import Platform

/// What a CoAP server's caps on peers (``CoAPServerLimits``) have seen since it started, and what
/// peers hold now (see ``CoAPServer/statistics``).
public struct CoAPServerStatistics: Sendable, Equatable {
    /// Observers registered now.
    public var observers = 0
    /// Registrations declined because a cap on observers was reached (answered without Observe).
    public var observersDeclined = 0
    /// Block-wise request bodies being put together now.
    public var blockTransfers = 0
    /// Block-wise transfers refused because a cap on transfers or their bytes was reached (5.03).
    public var blockTransfersRefused = 0

    public init() {}
}

/// Where a CoAP server keeps its ``CoAPServerStatistics``, readable from any thread. Made by the
/// server's owner (``CoAPServer/Configuration/counters``), so that whatever reports them can hold
/// it before the server exists.
public final class CoAPServerCounters: Sendable {
    private let state = Locked(CoAPServerStatistics())

    public init() {}

    /// The figures now.
    public var snapshot: CoAPServerStatistics { state.withLock { $0 } }

    func update(_ body: (inout CoAPServerStatistics) -> Void) { state.withLock(body) }
}
