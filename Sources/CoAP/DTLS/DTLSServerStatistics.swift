import Platform

/// What a DTLS server's front door and handshakes have seen since it started, and what peers
/// hold now (see ``CoAPServer/dtlsStatistics``).
public struct DTLSServerStatistics: Sendable, Equatable {
    /// HelloVerifyRequests sent: answers to ClientHellos without a valid cookie.
    public var cookiesSent = 0
    /// ClientHellos without a valid cookie dropped unanswered, over ``DTLSServerLimits/maxCookiesPerSecond``.
    public var cookiesNotSent = 0
    /// Datagrams from peers without a session that were not a ClientHello, dropped.
    public var strayDatagrams = 0
    /// ClientHellos with a valid cookie let through to a handshake.
    public var handshakesAdmitted = 0
    /// ClientHellos with a valid cookie dropped because a cap in ``DTLSServerLimits`` was reached.
    public var handshakesRefusedAtCapacity = 0
    /// ClientHellos with a valid cookie dropped because their address is throttled, or their exact
    /// transport address failed before.
    public var handshakesThrottled = 0
    public var established = 0
    /// Handshakes that failed: unknown identity, wrong key (a timeout), a refused certificate, an alert.
    public var failed = 0
    /// Handshakes in which the client gave no identity before the handshake timeout: abandoned
    /// (a half-open flood looks like this). Also counted in ``failed``.
    public var abandoned = 0

    /// Handshakes in progress now.
    public var handshakesInProgress = 0
    /// DTLS sessions now, in progress or established.
    public var sessions = 0
    /// Addresses throttled now.
    public var throttledAddresses = 0

    public init() {}
}

/// Where a DTLS server keeps its ``DTLSServerStatistics``, readable from any thread. Made by the
/// server's owner (``DTLSServerConfiguration/counters``), so that whatever reports them can hold
/// it before the server exists.
public final class DTLSServerCounters: Sendable {
    private let state = Locked(DTLSServerStatistics())

    public init() {}

    /// The figures now.
    public var snapshot: DTLSServerStatistics { state.withLock { $0 } }

    func update(_ body: (inout DTLSServerStatistics) -> Void) { state.withLock(body) }
}
